"""The OSC thread: UDP datagrams -> validated commands on a bounded, coalescing inbox the main thread drains."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from livedream.control_in.inbox import Command, ControlInbox
from livedream.control_in.osc import COMMANDS, NORM, PREFIX, Refused, decode
from livedream.control_in.osc_decode import Malformed, parse_datagram
from livedream.control_in.ratelimit import RateLimitedLog
from livedream.errors import LivedreamError
from livedream.params import PARAMS

log = logging.getLogger(__name__)

RECV_BUFFER = 4 * 1024 * 1024  # bytes of kernel buffer: a burst waits there instead of being lost
MAX_BATCH = 1024  # datagrams read in one go before any is decoded
PACE_S = 0.004  # after each batch, wait this long: a flood then comes in few large batches, mostly coalesced
# (the newest value wins), and wakes the thread ~250 times a second at most instead of once per datagram; each
# wake takes the interpreter lock from the display thread. A quarter of a 60 Hz frame: the main thread reads
# the inbox once a frame anyway, so no change arrives on screen later for it.
# Parameter addresses: within one batch only the newest message to each is decoded (the newest value wins anyway).
_COMMANDS = frozenset(c.encode() for c in COMMANDS if "<" not in c)
_COALESCE = frozenset(f"{base}/{p.name}".encode() for p in PARAMS for base in (PREFIX, NORM))


class OscServer:
    """Listens on host:port in its own thread; handlers only decode, validate and put on the inbox.

    Junk datagrams, unknown addresses and refused values are logged (at most once a second per address)
    and dropped; nothing a sender does can stop the thread.
    """

    def __init__(self, host: str, port: int, inbox: ControlInbox, preset_check: Callable[[str], Any] | None = None):
        """preset_check(name) raises LivedreamError for a preset that cannot be switched to (refused here, so
        it never displaces the parameter changes queued before it)."""
        self.host, self.port, self.inbox = host, port, inbox
        self.preset_check = preset_check
        self.received = self.refused = self.junk = self.coalesced = 0
        self._limiter = RateLimitedLog("OSC: ")
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="livedream-osc", daemon=True)

    def start(self) -> OscServer:
        """Bind (raises LivedreamError with one clear line when the port is taken) and start the thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            why = exc.strerror or str(exc)
            raise LivedreamError(
                f"--osc-port {self.port}: cannot listen for OSC on {self.host}:{self.port}: {why} "
                "(another livedream or OSC program may use it; pick another port with --osc-port)"
            ) from None
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        if self.host in ("127.0.0.1", "localhost", "::1"):
            log.info(
                "OSC: listening on %s:%d (this machine only; --osc-host 0.0.0.0 for a tablet)", self.host, self.port
            )
        else:
            log.warning("OSC: listening on %s:%d: accepting control messages from the network", self.host, self.port)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def counters(self) -> dict[str, int]:
        return {"received": self.received, "refused": self.refused, "junk": self.junk, "coalesced": self.coalesced}

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._receive()
            self.handle_batch(batch)
            if batch:
                self._stop.wait(PACE_S)

    def _receive(self) -> list[tuple[bytes, Any]]:
        """Wait for a datagram, then take whatever else is already there (up to MAX_BATCH)."""
        sock = self._sock
        assert sock is not None  # start() sets it before the thread starts; stop() clears it after the join
        try:
            batch = [sock.recvfrom(65536)]
        except TimeoutError:
            return []
        except OSError as exc:  # the socket was closed under us, or the network went away
            if not self._stop.is_set():
                self._limiter.warn("socket", f"receive failed: {exc}")
                time.sleep(0.05)
            return []
        flags = getattr(socket, "MSG_DONTWAIT", 0)
        while flags and len(batch) < MAX_BATCH:
            try:
                batch.append(sock.recvfrom(65536, flags))
            except OSError:  # nothing more waiting (BlockingIOError), or an error the next wait will report
                break
        return batch

    def handle_batch(self, batch: list[tuple[bytes, Any]]) -> None:
        """Datagrams in arrival order. For each parameter address, messages older than the newest valid one
        in the batch are skipped undecoded: the newest value wins anyway. A refused message never hides an
        older valid one (every message newer than the newest valid one is decoded, and refused on its own).
        """
        decoded: dict[int, _Decoded | None] = {}
        settled: set[bytes] = set()  # addresses whose newest valid message in the batch is found
        for i in range(len(batch) - 1, -1, -1):  # newest first: find each address's newest valid value
            address = _address(batch[i][0])
            if address in _COALESCE and address not in settled:
                decoded[i] = got = _decode(batch[i][0])
                if got and isinstance(got[0][1], Command):
                    settled.add(address)
        now = time.monotonic()
        for i, (data, sender) in enumerate(batch):
            if i in decoded:
                self._apply(decoded[i], data, sender, now)
            elif (address := _address(data)) in _COALESCE:
                self.received += 1
                self.coalesced += 1
            elif address and not _known(address):  # refused without parsing: a flood of them stays cheap
                self._apply([(address.decode("latin-1"), Refused(f"unknown address {address.decode('latin-1')!r}"))],
                            data, sender, now)  # fmt: skip
            else:
                self._apply(_decode(data), data, sender, now)

    def handle(self, data: bytes, sender: Any = None) -> None:
        """One datagram: a message or a bundle (its messages are applied now; time tags are not honoured)."""
        self._apply(_decode(data), data, sender, time.monotonic())

    def _apply(self, decoded: _Decoded | None, data: bytes, sender: Any, now: float) -> None:
        if decoded is None:
            self.junk += 1
            self._limiter.warn("<junk>", f"ignored a datagram that is not OSC ({len(data)} bytes from {sender})")
            return
        for address, result in decoded:
            self.received += 1
            if isinstance(result, Refused):
                self.refused += 1
                self._limiter.warn(address[:200], f"refused: {result}")
            elif result is not None:
                if result.kind == "preset" and self.preset_check is not None:
                    try:
                        self.preset_check(result.name)
                    except LivedreamError as exc:
                        self.refused += 1
                        self._limiter.warn(f"{address[:200]} {result.name[:64]}", f"refused: {address}: {exc}")
                        continue
                self.inbox.put(result, now)


_Decoded = list[tuple[str, "Command | Refused | None"]]


def _address(data: bytes) -> bytes:
    """The address of a single message, without parsing it (b"" for a bundle or junk)."""
    return data[: data.find(b"\0")] if data[:1] == b"/" else b""


def _known(address: bytes) -> bool:
    tail = address[len(PREFIX) + 1 :]
    return address.startswith(PREFIX.encode() + b"/") and (
        address in _COALESCE or tail in _COMMANDS or tail.startswith(b"preset/")
    )


def _decode(data: bytes) -> _Decoded | None:
    """(address, command, refusal or None for a button's release) per message; None when it is not OSC."""
    try:
        messages = parse_datagram(data)
    except Malformed:
        return None
    out: _Decoded = []
    for address, args in messages:
        try:
            out.append((address, decode(address, args)))
        except Refused as exc:
            out.append((address, exc))
    return out
