"""CLI flags derived from the parameter table: one flag per parameter, dashes for underscores."""

from __future__ import annotations

import argparse
from typing import Any

from livedream.errors import LivedreamError, brief
from livedream.params import BY_NAME, PARAMS, Param

_DEST = "param__"


def _help(p: Param) -> str:
    default = "null" if p.default is None else str(p.default).lower() if p.kind == "bool" else p.default
    unit = f" [{p.unit}]" if p.unit else ""
    return f"{p.help} Default {default}; {p.range_text()}{unit}."


def add_param_flags(parser: argparse.ArgumentParser) -> None:
    """Add --pulse-react etc. Unset flags leave no attribute, so a preset's value stays in force."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for p in PARAMS:
        group = groups.get(p.group) or groups.setdefault(
            p.group, parser.add_argument_group(f"{p.group} parameters (override the preset)")
        )
        dest = _DEST + p.name
        if p.kind == "bool":
            group.add_argument(
                p.flag, dest=dest, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=_help(p)
            )
        else:
            metavar = "N,N,..." if p.kind == "int_list" else "|".join(p.choices) if p.kind == "choice" else "X"
            group.add_argument(p.flag, dest=dest, default=argparse.SUPPRESS, metavar=metavar, help=_help(p))


def param_flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters given on the command line, validated (raises LivedreamError naming the flag as typed)."""
    given = {}
    for name, value in vars(args).items():
        if name.startswith(_DEST):
            p = BY_NAME[name[len(_DEST) :]]
            if isinstance(value, str) and value.strip().lower() in ("none", "null", "off", ""):
                value = None
            try:
                given[p.name] = p.validate(value)
            except LivedreamError:
                shown = value if isinstance(value, str) and len(value) <= 60 else brief(value)
                raise LivedreamError(f"{p.flag} {shown}: not allowed; expected {p.range_text()}") from None
    return given
