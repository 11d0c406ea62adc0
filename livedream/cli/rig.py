"""Command-line options for the rig: video out (live and export) and the web control page (live)."""

from __future__ import annotations

import argparse

from livedream.errors import LivedreamError
from livedream.sinks.video_settings import VideoOutSettings


def add_video_out_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("video out (to Resolume, OBS, TouchDesigner; the picture goes on if these fail)")
    g.add_argument(
        "--ndi",
        default=VideoOutSettings.ndi,
        metavar="NAME",
        help="send the picture as the NDI source NAME (pip install 'livedream[ndi]')",
    )
    g.add_argument(
        "--virtual-camera",
        nargs="?",
        const="",
        default=VideoOutSettings.virtual_camera,
        metavar="DEVICE",
        help="send the picture to a virtual webcam: v4l2loopback's DEVICE (default the first; name one as "
        "--virtual-camera=/dev/video10), OBS's virtual camera on Windows and macOS (pip install 'livedream[virtualcam]')",
    )


def video_out_settings(args: argparse.Namespace) -> VideoOutSettings:
    if args.ndi is not None and not args.ndi.strip():
        raise LivedreamError("--ndi NAME: the NDI source needs a name, e.g. --ndi livedream")
    return VideoOutSettings(ndi=args.ndi.strip() if args.ndi else None, virtual_camera=args.virtual_camera)


def add_web_options(p: argparse.ArgumentParser) -> None:
    from livedream.modes.settings import LiveSettings

    g = p.add_argument_group("web control page and OSCQuery (docs/web.md)")
    g.add_argument(
        "--web-port",
        type=int,
        default=LiveSettings.web_port,
        metavar="N",
        help="serve the control page (faders for every parameter) and OSCQuery on this TCP port, e.g. 8080",
    )
    g.add_argument(
        "--web-host",
        default=LiveSettings.web_host,
        metavar="ADDR",
        help=f"address to serve on: {LiveSettings.web_host} (default) is this machine only; 0.0.0.0 reaches a "
        "phone, and then the page needs the token in the URL livedream prints",
    )
    g.add_argument(
        "--advertise",
        action="store_true",
        default=LiveSettings.advertise,
        help="announce OSCQuery and OSC on the network with zeroconf (Bonjour), for TouchDesigner and Chataigne",
    )


def web_port(args: argparse.Namespace) -> int | None:
    if args.web_port is not None and not 1 <= args.web_port <= 65535:
        raise LivedreamError(f"--web-port {args.web_port}: expected a TCP port number from 1 to 65535")
    if args.advertise and args.web_port is None:
        raise LivedreamError("--advertise announces the OSCQuery server: give --web-port too")
    return args.web_port
