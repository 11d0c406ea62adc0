"""The one exception type a user can cause; the CLI turns it into one line and a non-zero exit."""

from __future__ import annotations

import reprlib
from typing import Any


class LivedreamError(Exception):
    """A problem with the user's input or environment (bad file, bad preset, missing device).

    Its message is shown to the user as is, on one line, without a traceback.
    """


class _Brief(reprlib.Repr):
    """reprlib, with integers too long to print (more than 4300 digits) and huge ones shown by their size."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"<an integer of {x.bit_length()} bits>"
        return repr(x)


_BRIEF = _Brief()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxtuple, _BRIEF.maxdict, _BRIEF.maxset = 3, 16, 16, 8, 8
_BRIEF.maxstring, _BRIEF.maxother = 60, 60


def brief(value: Any, limit: int = 100) -> str:
    """A repr for error messages that stays short and quick whatever value a user sent (a shared-alias bomb,
    a 400-digit integer, a megabyte of text)."""
    text = _BRIEF.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
