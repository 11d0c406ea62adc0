"""The websocket side: each page's outbox (newest message of each kind wins) and the shared command budget."""

from __future__ import annotations

import asyncio
import time

# Commands handled per second, all pages and requests together (a person moving faders sends ~60 a second a
# fader). Beyond that the server stops reading for a moment and TCP holds the sender back: a flood costs the
# server thread a bounded share of the interpreter, and the display thread keeps its pace.
COMMANDS_PER_S = 500.0
BURST = 100
# HTTP requests (the page loads once, then speaks over its websocket; OSCQuery clients and scripts poll) cost
# more each (a connection, the headers): their own, lower budget.
REQUESTS_PER_S = 200.0
REQUEST_BURST = 50


class Client:
    """One websocket: the newest message of each kind waits for the sender; a slow phone only misses old ones."""

    def __init__(self, ws):
        self.ws = ws
        self.pending: dict[str, str] = {}
        self.ready = asyncio.Event()

    def push(self, kind: str, text: str) -> None:
        self.pending[kind] = text
        self.ready.set()

    async def pump(self) -> None:
        while not self.ws.closed:
            await self.ready.wait()
            self.ready.clear()
            batch, self.pending = self.pending, {}
            for text in batch.values():
                await self.ws.send_str(text)


class Pacer:
    """A token bucket: take() waits when a flood has emptied it. Used on the server's event loop only."""

    def __init__(self, rate: float = COMMANDS_PER_S, burst: int = BURST):
        self.rate, self.burst = rate, float(burst)
        self._tokens, self._refilled = float(burst), time.monotonic()

    async def take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._tokens < 1.0:
            await asyncio.sleep((1.0 - self._tokens) / self.rate)
            self._tokens, self._refilled = 1.0, time.monotonic()
        self._tokens -= 1.0
