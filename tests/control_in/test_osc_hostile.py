"""What a hostile OSC sender can do to the decoder and the server thread: nothing but refused datagrams."""

from __future__ import annotations

import socket
import struct
import time

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from livedream.control_in.inbox import ControlInbox
from livedream.control_in.osc_decode import MAX_DEPTH, Malformed, parse_datagram
from livedream.control_in.osc_server import OscServer
from livedream.errors import LivedreamError

# The 20-byte bundle of issue 11 item 1: an element whose size is -4 (python-osc loops on it forever).
NEGATIVE_BUNDLE = b"#bundle\0\0\0\0\0\0\0\0\1\377\377\377\374"
TRUNCATED_FLOAT = b"/livedream/speed_fpm\0\0\0\0,f\0\0"  # item 4: ',f' and no four bytes after it


def message(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def test_well_formed_messages_and_nested_bundles_decode_like_python_osc():
    inner = OscBundleBuilder(IMMEDIATELY)
    inner.add_content(OscMessageBuilder("/b").build())
    outer = OscBundleBuilder(IMMEDIATELY)
    for address, args in (("/a", [1, 2.5, "x", b"blob", True, None]), ("/c", [])):
        m = OscMessageBuilder(address)
        for a in args:
            m.add_arg(a)
        outer.add_content(m.build())
    outer.add_content(inner.build())
    got = parse_datagram(outer.build().dgram)
    assert got == [("/a", [1, 2.5, "x", b"blob", True, None]), ("/c", []), ("/b", [])]
    assert parse_datagram(message("/livedream/speed_fpm", 3.0)) == [("/livedream/speed_fpm", [3.0])]
    assert parse_datagram(b"/old\0\0\0\0") == [("/old", [])]  # no type tags at all: OSC 1.0 allows it


@pytest.mark.parametrize(
    "data",
    [NEGATIVE_BUNDLE, TRUNCATED_FLOAT, b"", b"#bundle\0", b"#bundle\0" + b"\0" * 8 + b"\0\0\0\x08/a\0\0",
     b"#bundle\0" + b"\0" * 8 + b"\x7f\xff\xff\xf0", b"#bundle\0" + b"\0" * 8 + b"\0\0\0\0",
     b"/a\0\0,i\0\0\0\0", b"/a\0\0,d\0\0\0\0\0\0", b"/a\0\0,s\0\0abcd", b"/a\0\0,b\0\0\xff\xff\xff\xff",
     b"/a\0\0,b\0\0\0\0\x10\0", b"/a\0\0,q\0\0\0\0\0\0", b"/a\0\0i\0\0\0", b"/noterminator", b"junk\0\0\0\0"],
)  # fmt: skip
def test_malformed_datagrams_are_refused_quickly(data):
    start = time.perf_counter()
    with pytest.raises(Malformed):
        parse_datagram(data)
    assert time.perf_counter() - start < 0.01


def test_bundle_nesting_and_message_count_are_bounded():
    data = message("/a", 1)
    for _ in range(MAX_DEPTH + 1):
        data = b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", len(data)) + data
    with pytest.raises(Malformed, match="nested deeper"):
        parse_datagram(data)
    one = message("/a")
    many = b"#bundle\0" + b"\0" * 8 + (struct.pack(">i", len(one)) + one) * 5000
    with pytest.raises(Malformed, match="more than"):
        parse_datagram(many)


@pytest.fixture
def server():
    srv = OscServer("127.0.0.1", 0, ControlInbox(), preset_check=_check).start()
    try:
        yield srv
    finally:
        srv.stop()


def _check(name: str) -> None:
    if name not in ("rave", "calm"):
        raise LivedreamError(f"unknown preset {name!r}")


def _send(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for d in datagrams:
            sock.sendto(d, ("127.0.0.1", port))


def _wait(srv: OscServer, n: int) -> None:
    deadline = time.monotonic() + 5
    while srv.received + srv.junk < n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.received + srv.junk >= n, srv.counters


def test_the_server_thread_survives_the_looping_bundle_and_refuses_a_truncated_float(server):
    _send(server.port, NEGATIVE_BUNDLE, TRUNCATED_FLOAT, message("/livedream/pulse_react", 1.5))
    _wait(server, 3)
    got = server.inbox.drain()
    assert got.params == {"pulse_react": 1.5} and server.junk == 2  # not speed_fpm 0.0


def test_refused_messages_after_a_valid_one_do_not_displace_it():
    # In one batch (one burst), so the coalescing sees all of them together: the valid value comes first.
    srv = OscServer("127.0.0.1", 0, ControlInbox())
    bad = [message("/livedream/speed_fpm", float("nan")), message("/livedream/speed_fpm", "fast"), TRUNCATED_FLOAT]
    batch = [(message("/livedream/speed_fpm", 33.0), None)] + [(bad[i % 3], None) for i in range(20)]
    srv.handle_batch(batch)
    assert srv.inbox.drain().params == {"speed_fpm": 33.0}
    assert srv.refused + srv.junk == 20
    # Older valid values behind the newest valid one are still skipped unread.
    srv.handle_batch([(message("/livedream/speed_fpm", float(i)), None) for i in range(50)] + batch[1:])
    assert srv.inbox.drain().params == {"speed_fpm": 49.0} and srv.coalesced == 49


def test_an_unknown_preset_is_refused_where_it_arrives_and_the_params_before_it_stay(server):
    _send(
        server.port,
        message("/livedream/speed_fpm", 40.0),
        message("/livedream/flash_strength", 0.25),
        message("/livedream/preset", "no_such_preset"),
        message("/livedream/preset/no_such_either", 1),
    )
    _wait(server, 4)
    got = server.inbox.drain()
    assert got.preset is None and got.params == {"speed_fpm": 40.0, "flash_strength": 0.25}
    assert server.refused == 2
    # A known preset still sets aside what came before it (kept for the case that the switch fails later).
    _send(server.port, message("/livedream/speed_fpm", 41.0), message("/livedream/preset", "rave"))
    _wait(server, 6)
    got = server.inbox.drain()
    assert got.preset == "rave" and got.params == {} and got.before_preset == {"speed_fpm": 41.0}
