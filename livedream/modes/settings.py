"""The settings of each mode that are not musical parameters, each declared once; the CLI reads its defaults here.

Musical parameters (pulse_react, ...) live in the parameter table (livedream/params.py); these are how a run is
set up: sizes, fit, encoder, devices, ports. Importing this module is cheap (no torch, no GL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livedream.render.fit import DEFAULT_FIT
from livedream.sinks.video_settings import VideoOutSettings

# x264's veryfast encodes 1080p at about 37 fps on this project's 2-core machine with nothing else running,
# superfast about 70 and ultrafast about 117. Above a megapixel auto takes ultrafast: beside the generator and
# GL it is what keeps a 1080p export at real time; at CRF 18 its files are about as large as superfast's
# (measured on exported frames: 67 vs 69 KiB a frame, PSNR 47 vs 54 dB against the frames given). Small outputs
# keep veryfast (half the size). Measured in bench/bench_export.py; results in bench/results/.
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
LARGE_OUTPUT_PX = 1_000_000
SMALL_OUTPUT_PRESET, LARGE_OUTPUT_PRESET = "veryfast", "ultrafast"
# Software GL (Mesa's llvmpipe) draws on export's own thread: its generator and encoder keep the cores busy.
EXPORT_SOFTWARE_GL_THREADS = 0


def encoder_preset(preset: str, size: tuple[int, int]) -> str:
    """The x264 preset an export uses: the one asked for, or for auto the one that keeps its size in real time."""
    if preset != "auto":
        return preset
    return LARGE_OUTPUT_PRESET if size[0] * size[1] > LARGE_OUTPUT_PX else SMALL_OUTPUT_PRESET


if TYPE_CHECKING:
    from livedream.models.base import Generator
    from livedream.render.cpu_effects import FrameEffect


@dataclass(frozen=True)
class ExportSettings:
    """Everything `livedream export` needs; params is the full, validated parameter set."""

    song: Path
    output: Path
    params: Mapping[str, Any]
    seed: int = 0
    fps: Fraction = Fraction(30)
    size: tuple[int, int] | None = None  # (width, height); None: square at the generator's resolution (>= 512)
    fit: str = DEFAULT_FIT
    start: float = 0.0
    duration: float | None = None
    audio: Path | None = None  # another soundtrack to mux instead of the song
    audio_start: float | None = None  # soundtrack start in its file; None: 0 for `audio`, `start` for the song
    stems: Mapping[str, Path] = field(default_factory=dict)  # role -> file driving that role
    style: str | None = None  # None: the built-in style
    generator: Generator | None = None  # a ready generator (e.g. a user's function, wrapped); overrides style
    model_resolution: int | None = None
    device: str | None = None
    batch_size: int = 4
    encode_in_background: bool = True  # H.264 on its own thread, overlapping generation (False: bench baseline)
    generator_threads: int | None = None  # torch's CPU threads for a CPU generator; None: all cores but one (GL, x264)
    software_gl_threads: int = (
        EXPORT_SOFTWARE_GL_THREADS  # llvmpipe's threads without a GPU (render.gl.headless_context)
    )
    normalize: str = "adaptive"  # or "global": a first pass over the whole file
    onset_method: str | None = None
    crf: int = 18
    encoder_preset: str = "auto"  # an x264 preset, or auto: veryfast, ultrafast above LARGE_OUTPUT_PX (see above)
    shader_effects: Sequence[tuple[str, float]] = ()  # (user .frag path, strength), run after contrast and flash
    cpu_effects: Sequence[FrameEffect] = ()  # numpy effects after the shaders, in order, each driven by its own audio
    save_frames_dir: Path | None = None  # also write every output frame there as a numbered PNG
    frame_name_digits: int | None = None  # digits of those PNG names; None: 6
    shuffle_times: Sequence[float] = ()  # class shuffles at these times (s from the render's start), LSD's list form
    look_ahead: bool = True  # read features ahead by the onset detector's delay (live cannot; tests switch it off)
    video_out: VideoOutSettings = VideoOutSettings()  # NDI / a virtual camera: watch the render as it goes
    tempo_grid: tuple[float, float] | None = None  # (bpm, first beat s): a known beat grid; None: the analyzer's beats


@dataclass(frozen=True)
class LiveSettings:
    """Everything `livedream live` needs; params is the full, validated parameter set."""

    params: Mapping[str, Any]
    seed: int = 0
    device: str | None = None  # input device index or name part; None: the default input
    channels: Sequence[int] | None = None  # 1-based input channels mixed to mono; None: the first two
    stem_channels: Mapping[str, Sequence[int]] = field(default_factory=dict)  # role -> its own 1-based inputs
    sample_rate: int | None = None  # None: the device's own
    size: tuple[int, int] = (768, 768)  # the window
    fullscreen: bool = False
    monitor: int = 0
    fit: str = DEFAULT_FIT
    style: str | None = None
    model_resolution: int | None = None
    torch_device: str | None = None
    onset_method: str | None = None
    duration: float | None = None
    stats_file: Path | None = None
    record: Path | None = None
    record_hud: bool = False  # the HUD (when shown) goes into the recording too
    hud: bool = False
    vsync: bool = True
    preset: str = "default"  # the startup preset (name or path): watched for edits, the base for OSC switches
    osc_host: str = "127.0.0.1"
    osc_port: int | None = 9000  # None: no OSC
    osc_port_given: bool = False  # False: a taken default port is a warning, not an error
    osc_reply: tuple[str, int] | None = None
    stats_interval: float = 1.0
    shader_effects: Sequence[tuple[str, float]] = ()  # (user .frag path, strength), after contrast and flash
    cpu_effects: Sequence[Any] = ()  # numpy effects (render.cpu_effects.FrameEffect), driven by the mix
    video_out: VideoOutSettings = VideoOutSettings()  # NDI / a virtual camera
    web_port: int | None = None  # the control page and OSCQuery; None: off
    web_host: str = "127.0.0.1"  # beyond loopback the page needs the token it prints
    advertise: bool = False  # announce OSCQuery and OSC with zeroconf (mDNS)
    midi: Sequence[str] = ()  # MIDI input ports (names, parts of names, or indexes); () no MIDI
    midi_map: Path | None = None  # the mapping file; None: ~/.config/livedream/midi.yaml
    tempo: str = "auto"  # the tempo source: auto, beats, tap or midi


@dataclass(frozen=True)
class ChunkSettings:
    """A chunked export (`--resume`, `--ray`): how the song is split, where the chunks are drawn, retries."""

    chunk_seconds: float = 10.0  # rounded up to whole generator batches
    restart: bool = False  # throw away the finished chunks of an earlier, unfinished render
    ray: bool = False  # draw the chunks on Ray workers (else one after the other in this process)
    ray_address: str | None = None  # join this Ray cluster; None: start a local Ray
    workers: int | None = None  # None: one per GPU, else one per cpus_per_worker CPU cores
    cpus_per_worker: int = 2  # CPU workers (the built-in style without a GPU): cores each
    retries: int = 2  # times Ray draws a chunk again after its worker died
