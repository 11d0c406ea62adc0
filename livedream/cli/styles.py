"""`livedream styles`: the built-in styles, and the public StyleGAN2 models livedream can download by name."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "styles",
        help="list the built-in styles (--style builtin:NAME) and the public StyleGAN2 models (--style NAME)",
        description="List the built-in styles (--style builtin:NAME, no download) and the public StyleGAN2 models "
        "that --style NAME downloads once into the cache.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.models import builtin, catalogue

    print("built-in (no download):")
    width = max(len(f"builtin:{n}") for n in builtin.FAMILIES)
    for name, (_, _, blurb) in builtin.FAMILIES.items():
        print(f"  {f'builtin:{name}'.ljust(width)}  {blurb}")
    print()
    rows = [("name", "res", "classes", "cached", "licence", "source")]
    for s in catalogue.styles():
        classes = "?" if s.classes is None else str(s.classes)
        res = "?" if s.resolution is None else str(s.resolution)
        cached = "yes" if catalogue.cached_path(s).is_file() else "-"
        rows.append((s.name, res, classes, cached, s.licence, s.source))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    print(f"\ncache: {catalogue.cache_dir()}  (use: livedream still --style NAME --seeds 1)")
    return 0
