"""`livedream still`: one PNG per seed, pixel for pixel what NVIDIA's generate.py / gen_images.py makes (or the built-in style)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from livedream.cli.options import add_torch_device_option, finite_between
from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output
from livedream.util.outputs import check_output

log = logging.getLogger(__name__)

NOISE_MODES = ("const", "random", "none")
MAX_PSI = 10.0  # |psi| beyond this is no picture, only overflow
STILL_SIZE = 512  # the built-in style's resolution for stills (models keep their own)


def parse_seeds(text: str) -> list[int]:
    """'1,2,5-7' -> [1, 2, 5, 6, 7]; seeds must fit numpy's RandomState (0 .. 2**32-1)."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise LivedreamError(f"--seeds {text!r}: expected numbers and ranges like 1,2,5-7") from None
        if not 0 <= a <= b < 2**32:
            raise LivedreamError(
                f"--seeds {text!r}: {part!r} is not a seed or an increasing range of seeds in 0..4294967295"
            )
        if b - a >= 100_000:
            raise LivedreamError(f"--seeds {text!r}: range {part!r} is too long (at most 100000 images)")
        seeds.extend(range(a, b + 1))
    return seeds


def _pair(text: str) -> tuple[float, float]:
    """'0.3,-0.1' -> (0.3, -0.1), as gen_images.py's --translate."""
    parts = text.split(",")
    try:
        if len(parts) == 2:
            return float(parts[0]), float(parts[1])
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r}: expected two numbers like 0.3,-0.1")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "still",
        help="render still images from a StyleGAN2/3 model or the built-in style, one PNG per seed",
        description="Render DIR/seed0001.png, ... with the same pixels as NVIDIA's generate.py / gen_images.py "
        "(z = RandomState(seed).randn(1, z_dim)) for the same model, seed, truncation, class and noise mode.",
    )
    p.add_argument(
        "--style",
        default=None,
        metavar="PATH|NAME",
        help="StyleGAN2/3 model file (.pkl, .pt), catalogue name or builtin:NAME (see `livedream styles`); "
        "default: built-in style",
    )
    p.add_argument("--seeds", required=True, help="seeds, e.g. 1,2,5-7")
    p.add_argument(
        "--trunc",
        type=finite_between(-MAX_PSI, MAX_PSI),
        default=1.0,
        metavar="PSI",
        help="truncation psi (default 1: none)",
    )
    p.add_argument(
        "--truncation-cutoff",
        type=int,
        default=None,
        metavar="N",
        help="truncate only the first N layers of w (default: all)",
    )
    p.add_argument(
        "--class",
        dest="class_idx",
        type=int,
        default=None,
        metavar="N",
        help="class index, for conditional models (the built-in style's palettes; default 0)",
    )
    p.add_argument("--noise-mode", choices=NOISE_MODES, default="const", help="per-pixel noise (default const)")
    p.add_argument(
        "--translate",
        type=_pair,
        default=(0.0, 0.0),
        metavar="X,Y",
        help="StyleGAN3: translate the input (image widths)",
    )
    p.add_argument("--rotate", type=float, default=0.0, metavar="DEG", help="StyleGAN3: rotate the input (degrees)")
    p.add_argument("--outdir", default=".", metavar="DIR", help="output directory (default: here)")
    p.add_argument(
        "--model-resolution",
        type=int,
        default=None,
        metavar="N",
        help="stop synthesis at this resolution (skip-architecture models); the built-in style's size (default 512)",
    )
    add_torch_device_option(p)
    p.set_defaults(run=run)


def _save_png(array, path: Path) -> None:
    """Write through a temporary name, so an interrupted run leaves no half-written PNG."""
    from PIL import Image

    with atomic_output(path) as tmp:
        Image.fromarray(array, "RGB").save(tmp, format="PNG")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from livedream.models.base import to_uint8
    from livedream.models.registry import builtin_family, load_generator

    seeds = parse_seeds(args.seeds)
    outdir = Path(args.outdir).expanduser()
    if outdir.exists() and not outdir.is_dir():
        raise LivedreamError(f"--outdir {outdir}: exists and is not a directory")
    builtin = builtin_family(args.style) is not None
    resolution = args.model_resolution or (STILL_SIZE if builtin else None)  # a still: the built-in at full size
    gen = load_generator(args.style, device=args.device, model_resolution=resolution)
    if hasattr(gen, "noise_mode"):
        gen.noise_mode = args.noise_mode
    if args.truncation_cutoff is not None:
        if not hasattr(gen, "truncation_cutoff"):
            raise LivedreamError("--truncation-cutoff applies to StyleGAN2/3 models only")
        gen.truncation_cutoff = args.truncation_cutoff
    c = torch.zeros([1, gen.c_dim], device=gen.device)
    if gen.c_dim:
        if args.class_idx is None and builtin:
            args.class_idx = 0  # the built-in style's classes are palettes: the first is its default look
        if args.class_idx is None:
            raise LivedreamError(f"this model is conditional ({gen.c_dim} classes): give --class 0..{gen.c_dim - 1}")
        if not 0 <= args.class_idx < gen.c_dim:
            raise LivedreamError(f"--class {args.class_idx}: this model has classes 0..{gen.c_dim - 1}")
        c[:, args.class_idx] = 1
    elif args.class_idx is not None:
        log.warning("--class %d ignored: the model is not conditional", args.class_idx)
    extras = {}
    if getattr(gen, "has_camera", False):
        extras["camera"] = torch.tensor([[*args.translate, args.rotate]], device=gen.device)
    elif args.translate != (0.0, 0.0) or args.rotate:
        log.warning("--translate/--rotate ignored: they apply to StyleGAN3 models")
    outdir.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        z = torch.from_numpy(np.random.RandomState(seed).randn(1, gen.z_dim)).to(gen.device)  # [1, z_dim] float64
        torch.manual_seed(seed)  # only read by --noise-mode random
        img = gen(z, c, truncation=args.trunc, **extras)  # [1, 3, R, R]
        path = check_output(outdir / f"seed{seed:04d}.png", "--outdir", [args.style])
        _save_png(to_uint8(img)[0], path)
        print(path)
    return 0
