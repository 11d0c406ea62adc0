"""A bounded OSC 1.0 datagram reader: messages and bundles -> (address, arguments), never looping, never raising.

python-osc's packet parser loops forever on a bundle element whose size is negative, and decodes a float
tag without its four bytes as 0.0. This one checks every size against what is left of the datagram, walks
bundles iteratively with a depth and a message limit, and refuses the whole datagram on the first fault.
"""

from __future__ import annotations

import struct
from typing import Any

MAX_DEPTH = 8  # bundles inside bundles
MAX_MESSAGES = 1024  # per datagram
MAX_ARGS = 256  # per message
_BUNDLE = b"#bundle\0"
_FIXED = {"i": (">i", 4), "f": (">f", 4), "h": (">q", 8), "d": (">d", 8), "t": (">Q", 8), "r": (">I", 4)}
_CONSTANT = {"T": True, "F": False, "N": None, "I": float("inf")}


class Malformed(ValueError):
    """The datagram is not well-formed OSC; the text says where."""


def parse_datagram(data: bytes) -> list[tuple[str, list[Any]]]:
    """Every message in a datagram (a message, or a bundle of them, nested), in order. Raises Malformed."""
    if not data:
        raise Malformed("empty datagram")
    out: list[tuple[str, list[Any]]] = []
    stack = [(0, len(data), 0)]  # (start, end, depth) of the element to read: no recursion, no unbounded walk
    while stack:
        start, end, depth = stack.pop()
        if data[start : start + 1] == b"/":
            if len(out) >= MAX_MESSAGES:
                raise Malformed(f"more than {MAX_MESSAGES} messages in one datagram")
            out.append(_message(data, start, end))
        elif data[start : start + 8] == _BUNDLE:
            if depth >= MAX_DEPTH:
                raise Malformed(f"bundles nested deeper than {MAX_DEPTH}")
            stack.extend(reversed(_elements(data, start + 16, end, depth + 1)))
        else:
            raise Malformed("neither a message (/...) nor a bundle (#bundle)")
    return out


def _elements(data: bytes, pos: int, end: int, depth: int) -> list[tuple[int, int, int]]:
    """The (start, end, depth) of each element of a bundle whose elements begin at pos (after the time tag)."""
    if pos > end:
        raise Malformed("bundle shorter than its header")
    found = []
    while pos < end:
        if pos + 4 > end:
            raise Malformed("bundle element size cut short")
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if size <= 0 or size % 4 or pos + size > end:
            raise Malformed(f"bundle element size {size} does not fit the {end - pos} bytes left")
        found.append((pos, pos + size, depth))
        pos += size
        if len(found) > MAX_MESSAGES:
            raise Malformed(f"more than {MAX_MESSAGES} elements in a bundle")
    return found


def _string(data: bytes, pos: int, end: int, what: str) -> tuple[str, int]:
    """A NUL-terminated string padded to 4 bytes at pos; returns it and the position after the padding."""
    nul = data.find(b"\0", pos, end)
    if nul < 0:
        raise Malformed(f"{what} has no terminating NUL")
    after = (nul + 4) & ~3
    if after > end:
        raise Malformed(f"{what} padding cut short")
    return data[pos:nul].decode("utf-8", "replace"), after


def _message(data: bytes, pos: int, end: int) -> tuple[str, list[Any]]:
    address, pos = _string(data, pos, end, "address")
    if pos >= end:  # no type tag string: an old-style message without arguments
        return address, []
    if data[pos : pos + 1] != b",":
        raise Malformed(f"{address}: type tags do not start with ','")
    tags, pos = _string(data, pos + 1, end, "type tags")
    if len(tags) > MAX_ARGS:
        raise Malformed(f"{address}: more than {MAX_ARGS} arguments")
    args: list[Any] = []
    for tag in tags:
        if tag in _CONSTANT:
            args.append(_CONSTANT[tag])
        elif tag in _FIXED:
            fmt, size = _FIXED[tag]
            if pos + size > end:
                raise Malformed(f"{address}: argument '{tag}' cut short")
            args.append(struct.unpack_from(fmt, data, pos)[0])
            pos += size
        elif tag in "sS":
            value, pos = _string(data, pos, end, f"{address}: string argument")
            args.append(value)
        elif tag == "c":
            if pos + 4 > end:
                raise Malformed(f"{address}: argument 'c' cut short")
            args.append(chr(struct.unpack_from(">I", data, pos)[0] & 0x10FFFF))
            pos += 4
        elif tag == "m":
            if pos + 4 > end:
                raise Malformed(f"{address}: argument 'm' cut short")
            args.append(tuple(data[pos : pos + 4]))
            pos += 4
        elif tag == "b":
            if pos + 4 > end:
                raise Malformed(f"{address}: blob size cut short")
            (size,) = struct.unpack_from(">i", data, pos)
            pos += 4
            if size < 0 or pos + size > end:
                raise Malformed(f"{address}: blob size {size} does not fit the {end - pos} bytes left")
            args.append(bytes(data[pos : pos + size]))
            pos = min(end, (pos + size + 3) & ~3)
        else:
            raise Malformed(f"{address}: unsupported type tag {tag!r}")
    return address, args
