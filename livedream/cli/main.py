"""The `livedream` command: parses arguments, runs one subcommand, turns user errors into one line and an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading

from livedream import __version__
from livedream.errors import LivedreamError

# Subcommand modules under livedream/cli/, each with add_parser(subparsers) and run(args) -> int.
COMMANDS = ("export", "analyze", "demo", "presets", "still", "styles", "live", "devices", "midi_ports", "docs")

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class UsageError(LivedreamError):
    """A command line argparse refused; prog is the (sub)command whose help explains it."""

    def __init__(self, prog: str, message: str):
        super().__init__(f"{message} (see {prog} --help)")
        self.prog = prog


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so the same clean-up runs: half-written outputs are
    removed and a live recording is closed into a playable file."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage is one `--help` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(self.prog, message)


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough; a second must not cut the clean-up short
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livedream", description="Music into moving images, live or offline.")
    parser.add_argument("--version", action="version", version=f"livedream {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"livedream.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"livedream.cli.{name}":
                raise
            continue
        module.add_parser(sub)
    parser.commands = sub.choices  # type: ignore[attr-defined]  # name -> subparser, for usage errors
    for command in sub.choices.values():  # -v after the subcommand too; SUPPRESS: an unset one keeps the first
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


VERBOSE_HELP = "log what happens (to stderr)"


def main(argv: list[str] | None = None) -> int:
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the subcommand, whose --help lists what it takes
            command = parser.commands.get(args.command) if args.command else None  # type: ignore[attr-defined]
            (command or parser).error(f"unrecognized arguments: {' '.join(extra)}")
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING, format="livedream: %(levelname)s: %(message)s"
        )
        if not getattr(args, "run", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except LivedreamError as exc:
        print(f"livedream: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as exc:
        how = "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"
        print(f"\nlivedream: {how}; no half-written file was left", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except OSError as exc:  # disk full, permissions, a device gone: the user's environment, not a bug
        print(f"livedream: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
