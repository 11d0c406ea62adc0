"""The `livedream` command: parses arguments, runs one subcommand, turns user errors into one line and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from livedream import __version__
from livedream.errors import LivedreamError

# Subcommand modules under livedream/commands/, each with add_parser(subparsers) and run(args) -> int.
COMMANDS = ("export", "analyze", "demo", "presets", "still", "styles", "live", "devices", "midi_ports", "docs")

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage is one `--help` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise LivedreamError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livedream", description="Music into moving images, live or offline.")
    parser.add_argument("--version", action="version", version=f"livedream {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"livedream.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"livedream.cli.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING, format="livedream: %(levelname)s: %(message)s"
        )
        if not getattr(args, "run", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.run(args) or 0)
    except LivedreamError as exc:
        print(f"livedream: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nlivedream: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # disk full, permissions, a device gone: the user's environment, not a bug
        print(f"livedream: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
