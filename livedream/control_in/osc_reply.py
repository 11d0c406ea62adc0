"""OSC feedback: the values in force, sent to --osc-reply HOST:PORT after each change, so faders follow presets."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any, cast

from pythonosc.osc_message_builder import OscMessageBuilder

from livedream.control_in.osc import PREFIX, reply_messages
from livedream.control_in.ratelimit import RateLimitedLog
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)


def parse_target(text: str) -> tuple[str, int]:
    """HOST:PORT text -> (host, port); raises LivedreamError with one clear line."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise LivedreamError(f"--osc-reply {text!r}: expected HOST:PORT, e.g. 192.168.1.20:9001")
    return host.strip("[]"), int(port)


class OscReply:
    """Sends UDP OSC messages to one controller; a send that fails is logged (once a second) and forgotten.

    Only what changed is sent (the caller keeps the last values sent), and at most once per display
    frame, so a fade or a flood of faders costs a few datagrams a frame.
    """

    def __init__(self, host: str, port: int):
        try:
            infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise LivedreamError(f"--osc-reply {host}:{port}: unknown host ({exc.strerror})") from None
        self.target = cast("tuple[str, int]", infos[0][4])  # AF_INET addresses are (ip, port)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._limiter = RateLimitedLog("OSC: ")
        self._sent: dict[str, Any] = {}
        self.messages_sent = 0
        log.info("OSC: sending the values in force to %s:%d", *self.target)

    def values(self, params: Mapping[str, Any], state: Mapping[str, Any], everything: bool = False) -> None:
        """Send the parameters and state (preset, freeze, blackout) that differ from what was sent last."""
        changed = {k: v for k, v in params.items() if everything or self._sent.get(k, object()) != v}
        for address, args in reply_messages(changed):
            self._send(address, args)
        for key in ("preset", "freeze", "blackout"):
            if key in state and (everything or self._sent.get(f"state:{key}", object()) != state[key]):
                value = state[key]
                self._send(f"{PREFIX}/{key}", [float(value) if isinstance(value, bool) else value])
                self._sent[f"state:{key}"] = value
        self._sent.update({k: (list(v) if isinstance(v, list) else v) for k, v in changed.items()})

    def _send(self, address: str, args: list[Any]) -> None:
        builder = OscMessageBuilder(address)
        for a in args:
            builder.add_arg(a)
        try:
            self._sock.sendto(builder.build().dgram, self.target)
            self.messages_sent += 1
        except OSError as exc:  # nobody listening, a full buffer, the network gone: feedback is best effort
            self._limiter.warn("reply", f"feedback to {self.target[0]}:{self.target[1]} failed: {exc}")

    def close(self) -> None:
        self._sock.close()
