"""`livedream live`: a line-in or microphone drives the picture in a window, live."""

from __future__ import annotations

import argparse
from pathlib import Path

from livedream.cli import options, rig
from livedream.control.amplitudes import ROLES
from livedream.errors import LivedreamError
from livedream.modes.settings import LiveSettings
from livedream.render.fit import FIT_MODES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="turn a line-in or microphone into moving pictures in a window",
        description="Listen to an audio input and show the pictures it drives, at the display's "
        "rate. Keys: F full screen, H heads-up display, L MIDI learn (again: the next parameter), Esc cancels learn or quits, Q quit. OSC messages (faders on a tablet, "
        "Ableton clips) change every parameter, switch presets and freeze or black out the picture.",
    )
    p.add_argument(
        "--device",
        default=None,
        metavar="N|NAME",
        help="input device: index or part of the name (see `livedream devices`); default: the default",
    )
    p.add_argument(
        "--channels",
        default=None,
        metavar="N,N",
        help="input channels to mix to mono, counted from 1 (default: 1,2, or 1 on a mono input)",
    )
    p.add_argument("--samplerate", type=int, default=None, metavar="HZ", help="default: the device's own rate")
    width, height = LiveSettings.size
    p.add_argument("--size", default=f"{width}x{height}", metavar="WxH", help=f"window size (default {width}x{height})")
    p.add_argument("--fullscreen", action="store_true", help="start full screen (F toggles)")
    p.add_argument("--monitor", type=int, default=0, metavar="N", help="monitor for full screen, from 0")
    p.add_argument(
        "--fit",
        choices=FIT_MODES,
        default=LiveSettings.fit,
        help=f"how the square picture fits the window: contain, fill or mirror (default {LiveSettings.fit})",
    )
    p.add_argument("--hud", action="store_true", help="start with the heads-up display on (H toggles)")
    p.add_argument("--no-vsync", dest="vsync", action="store_false", help="do not wait for the display's refresh")
    p.add_argument(
        "--style",
        default=None,
        metavar="PATH|NAME",
        help="builtin:NAME (see `livedream styles`), a StyleGAN2 model file or catalogue name; default: builtin:marbling",
    )
    p.add_argument(
        "--model-resolution",
        type=int,
        default=None,
        metavar="N",
        help="render at this resolution (StyleGAN2 stops synthesis early; built-in default 256)",
    )
    p.add_argument("--torch-device", default=None, metavar="DEV", help="torch device, e.g. cpu or cuda")
    p.add_argument(
        "--duration", type=options.seconds_above_zero, default=None, metavar="S", help="stop after S seconds"
    )
    p.add_argument("--stats-file", default=None, metavar="F", help="write one JSON line of statistics a second")
    p.add_argument("--record", default=None, metavar="OUT.mp4", help="also record the window, with the input audio")
    p.add_argument("--record-hud", action="store_true", help="put the HUD (when shown) into the recording too")
    p.add_argument(
        "--stats-interval",
        type=float,
        default=LiveSettings.stats_interval,
        metavar="S",
        help=f"seconds between two lines of the stats file (default {LiveSettings.stats_interval:g})",
    )
    options.add_effect_option(p)
    stems = p.add_argument_group("input-channel stems (each drives one role instead of the mix)")
    for role in ROLES:
        stems.add_argument(
            f"--{role}-channels",
            dest=f"stem_channels__{role}",
            metavar="N,N",
            default=None,
            help=f"input channels, from 1, whose sound drives {role} (e.g. drums on 3,4)",
        )
    osc = p.add_argument_group("OSC control (addresses: `livedream docs osc`)")
    osc.add_argument(
        "--osc-port",
        type=int,
        default=None,
        metavar="N",
        help=f"UDP port to listen for OSC on (default {LiveSettings.osc_port})",
    )
    osc.add_argument(
        "--osc-host",
        default=LiveSettings.osc_host,
        metavar="ADDR",
        help="address to listen on: 127.0.0.1 (default) is this machine only; 0.0.0.0 accepts a tablet",
    )
    osc.add_argument(
        "--osc-reply",
        default=None,
        metavar="HOST:PORT",
        help="send the values in force there after each change, so the controller's faders follow",
    )
    osc.add_argument("--no-osc", dest="osc", action="store_false", help="do not listen for OSC")
    rig.add_web_options(p)
    rig.add_video_out_options(p)
    midi = p.add_argument_group("MIDI control and tempo (see `livedream docs midi`)")
    midi.add_argument(
        "--midi",
        action="append",
        default=[],
        metavar="PORT|NAME",
        help="listen to this MIDI input (repeatable): a name, part of one, or a number from `livedream midi-ports`",
    )
    midi.add_argument(
        "--midi-map",
        default=None,
        metavar="FILE",
        help="the MIDI mapping file (default ~/.config/livedream/midi.yaml); MIDI learn writes to it",
    )
    midi.add_argument(
        "--tempo",
        choices=("auto", "beats", "tap", "midi"),
        default="auto",
        help="the tempo source for speed_beats, class_shuffle_bars and the strobe: MIDI clock, tap tempo, the "
        "analyzer's beats, or auto (MIDI clock while it runs, then tap, then beats; the default)",
    )
    options.add_analysis_options(p, live=True)
    options.add_look_options(p)
    p.set_defaults(run=run)


def parse_channels(text: str, flag: str = "--channels") -> list[int]:
    try:
        chans = [int(c) for c in text.replace(" ", "").split(",") if c]
    except ValueError:
        chans = []
    if not chans or min(chans) < 1 or max(chans) > 64:
        raise LivedreamError(f"{flag} {text!r}: expected channel numbers from 1 to 64, e.g. 1 or 1,2")
    return chans


def run(args: argparse.Namespace) -> int:
    from livedream.control_in.osc_reply import parse_target
    from livedream.modes.live import run_live

    size = options.parse_size(args.size)
    assert size is not None  # --size has a default
    if args.osc_port is not None and not 1 <= args.osc_port <= 65535:
        raise LivedreamError(f"--osc-port {args.osc_port}: expected a UDP port number from 1 to 65535")
    if not args.stats_interval > 0:
        raise LivedreamError(f"--stats-interval {args.stats_interval}: expected a number of seconds above 0")
    from livedream import presets
    from livedream.util.outputs import check_output, check_outputs_differ

    inputs = [presets.find(args.preset), args.style]
    record = check_output(args.record, "--record", inputs) if args.record else None
    stats_file = check_output(args.stats_file, "--stats-file", inputs) if args.stats_file else None
    check_outputs_differ(("--record", record), ("--stats-file", stats_file))
    settings = LiveSettings(
        params=options.resolve_params(args),
        seed=args.seed,
        device=args.device,
        channels=None if args.channels is None else parse_channels(args.channels),
        stem_channels={
            role: parse_channels(text, f"--{role}-channels")
            for role in ROLES
            if (text := getattr(args, f"stem_channels__{role}", None))
        },
        shader_effects=[options.shader_effect(text) for text in args.effect],
        sample_rate=args.samplerate,
        size=size,
        fullscreen=args.fullscreen,
        monitor=args.monitor,
        fit=args.fit,
        style=args.style,
        model_resolution=args.model_resolution,
        torch_device=args.torch_device,
        onset_method=args.onset_method,
        duration=args.duration,
        stats_file=stats_file,
        record=record,
        record_hud=args.record_hud,
        hud=args.hud,
        vsync=args.vsync,
        preset=args.preset,
        osc_host=args.osc_host,
        osc_port=(LiveSettings.osc_port if args.osc_port is None else args.osc_port) if args.osc else None,
        osc_port_given=args.osc_port is not None,
        osc_reply=parse_target(args.osc_reply) if args.osc_reply else None,
        stats_interval=args.stats_interval,
        video_out=rig.video_out_settings(args),
        web_port=rig.web_port(args),
        web_host=args.web_host,
        advertise=args.advertise,
        midi=list(args.midi),
        midi_map=Path(args.midi_map).expanduser() if args.midi_map else None,
        tempo=args.tempo,
    )
    return run_live(settings)
