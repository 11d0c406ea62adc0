"""The web server thread (aiohttp): the control page, its websocket, a JSON command endpoint and OSCQuery.

Everything a request asks for is validated here and put on the same ControlInbox as OSC; the main thread
never waits for this thread, and this thread never touches the picture. The page follows the values in
force through WebListener, which the main thread calls after each change and which only hands a copy over.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from livedream.control_in.inbox import ControlInbox
from livedream.control_in.osc import Refused
from livedream.control_in.ratelimit import RateLimitedLog
from livedream.control_in.web import messages, pages
from livedream.control_in.web.guard import SECURITY_HEADERS, is_loopback, refusal
from livedream.control_in.web.hub import REQUEST_BURST, REQUESTS_PER_S, Client, Pacer
from livedream.errors import LivedreamError

if TYPE_CHECKING:  # aiohttp is optional (the web extra); imported where the server runs
    from aiohttp import web

    from livedream.control_in.web.advertise import Advertiser

log = logging.getLogger(__name__)

MAX_CLIENTS = 32  # open websockets; more are refused (503)
METER_S = 0.1  # the meter's update period


async def _cancel_the_rest() -> None:
    """Cancel every task on this loop but the caller (client pumps, handlers) and let them finish."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class WebListener:
    """The LiveControl listener for the page: values() runs on the main thread and only schedules a copy."""

    def __init__(self, server: WebServer):
        self._server = server

    def values(self, params: Mapping[str, Any], state: Mapping[str, Any], everything: bool = False) -> None:
        copy = {k: (list(v) if isinstance(v, list) else v) for k, v in params.items()}
        self._server.hand_over(copy, dict(state))

    def close(self) -> None:
        """The server is stopped by whoever started it."""


class WebServer:
    """Serves on host:port in its own thread with its own event loop; start() raises one clear line on failure.

    Beyond loopback every control request needs the token (in the URL that is logged). On loopback the
    Host header must name loopback (a web site cannot reach the page through DNS rebinding) and commands
    from a page of another origin are refused. OSCQuery is read-only and needs no token, so that
    TouchDesigner and Chataigne can browse it; they send their changes over OSC, to the OSC port.
    """

    def __init__(
        self,
        host: str,
        port: int,
        inbox: ControlInbox,
        presets: Callable[[], list[str]] = list,
        osc_host: str | None = None,
        osc_port: int | None = None,
        advertise: bool = False,
        token: str | None = None,
    ):
        self.host, self.port, self.inbox = host, port, inbox
        self.loopback = is_loopback(host)
        self.token = token if token is not None else (None if self.loopback else secrets.token_urlsafe(16))
        self.presets, self.osc_host, self.osc_port, self.advertise = presets, osc_host, osc_port, advertise
        self.meter: Callable[[], dict[str, Any]] | None = None
        self.listener = WebListener(self)
        self.requests = self.commands = self.refused = 0
        self._params: dict[str, Any] = {}
        self._state: dict[str, Any] = {}
        self._values_text = ""
        self._clients: set[Client] = set()
        self._limiter = RateLimitedLog("web: ")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._meter_task: asyncio.Task | None = None
        self._advertiser: Advertiser | None = None
        self._thread: threading.Thread | None = None
        self._pacer = Pacer()  # websocket messages and POSTed commands
        self._request_pacer = Pacer(REQUESTS_PER_S, REQUEST_BURST)  # every HTTP request

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    @property
    def counters(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "commands": self.commands,
            "refused": self.refused,
            "clients": len(self._clients),
        }

    def start(self) -> WebServer:
        """Bind and serve; raises LivedreamError (the port is taken, aiohttp missing) before any thread lingers."""
        try:
            from aiohttp import web  # noqa: F401 - checked here, used on the server thread
        except ImportError:
            raise LivedreamError("--web-port needs aiohttp: pip install 'livedream[web]'") from None
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="livedream-web", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._bind(), loop).result(timeout=15)
        except (OSError, concurrent.futures.TimeoutError) as exc:
            self._shutdown_loop()
            why = getattr(exc, "strerror", None) or str(exc) or "no answer in 15 s"
            raise LivedreamError(
                f"--web-port {self.port}: cannot serve on {self.host}:{self.port}: {why} "
                "(another program may use it; pick another port with --web-port)"
            ) from None
        if self.loopback:
            log.info("web: control page at %s (this machine only; --web-host 0.0.0.0 for a phone)", self.url)
        else:
            log.warning(
                "web: reachable from the network on %s:%d; the page needs its token: %s", self.host, self.port, self.url
            )
        if self.advertise:
            from livedream.control_in.web.advertise import Advertiser

            self._advertiser = Advertiser.start(self.port, self.osc_port)
        return self

    def stop(self) -> None:
        if self._advertiser is not None:
            self._advertiser.close()
            self._advertiser = None
        if self._loop is None:
            return
        if self._runner is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=5)
            except Exception as exc:  # noqa: BLE001 - stopping must not fail the show's clean-up
                log.debug("web: closing: %s", exc)
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result(timeout=5)
        except Exception as exc:  # noqa: BLE001 - stopping must not fail the show's clean-up
            log.debug("web: cancelling: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not loop.is_running():
            loop.close()

    def hand_over(self, params: dict[str, Any], state: dict[str, Any]) -> None:
        """From the main thread: the newest values, for the server thread to publish. Never blocks."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._publish, params, state)
        except RuntimeError:  # the loop closed under us at shutdown
            pass

    # --- on the server thread -------------------------------------------------------------------------

    async def _bind(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=messages.MAX_BODY, middlewares=[self._guard()])
        app.router.add_get("/static/{name}", self._asset)
        app.router.add_get("/api/table", self._table)
        app.router.add_post("/api/command", self._command)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/{path:.*}", self._oscquery)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=64, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        sockets = list(runner.addresses)
        if self.port == 0 and sockets:
            self.port = sockets[0][1]
        self._meter_task = asyncio.get_running_loop().create_task(self._meter_loop())

    async def _close(self) -> None:
        if self._meter_task is not None:
            self._meter_task.cancel()
        for client in list(self._clients):
            await client.ws.close()
        assert self._runner is not None  # stop() runs this only once _bind set it
        await self._runner.cleanup()

    def _publish(self, params: dict[str, Any], state: dict[str, Any]) -> None:
        self._params, self._state = params, state
        self._values_text = json.dumps(messages.values(params, state))
        for client in self._clients:
            client.push("values", self._values_text)

    async def _meter_loop(self) -> None:
        while True:
            await asyncio.sleep(METER_S)
            if not self._clients or self.meter is None:
                continue
            try:
                text = json.dumps({"type": "meter", **self.meter(), "tap_bpm": self._state.get("tap_bpm")})
            except Exception as exc:  # noqa: BLE001 - a meter that fails must not stop the page
                self._limiter.warn("meter", f"meter failed: {exc}")
                continue
            for client in self._clients:
                client.push("meter", text)

    def _guard(self):
        from aiohttp import web

        @web.middleware
        async def guard(request, handler):
            self.requests += 1
            await self._request_pacer.take()  # a flood of requests waits here; TCP holds the senders back
            why = refusal(request, self.loopback, self.token)
            if why is not None:
                self.refused += 1
                self._limiter.warn(f"refused {request.remote}", f"refused {request.method} {request.path[:80]}: {why}")
                return web.json_response({"error": why}, status=403, headers=SECURITY_HEADERS)
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status >= 400:
                    self.refused += 1
                exc.headers.update(SECURITY_HEADERS)
                raise
            response.headers.update(SECURITY_HEADERS)
            return response

        return guard

    async def _table(self, request):
        from aiohttp import web

        return web.json_response(messages.table(self.presets(), self.token is not None))

    async def _command(self, request):
        from aiohttp import web

        body = await request.read()  # over MAX_BODY: aiohttp answers 413 and reads no further
        await self._pacer.take()
        try:
            self._handle(body)
        except Refused as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    def _handle(self, text: str | bytes) -> None:
        """Validate one command and queue it; raises Refused (counted and logged, at most once a second)."""
        try:
            cmd = messages.parse_command(text)
        except Refused as exc:
            self.refused += 1
            self._limiter.warn("command", f"refused: {exc}")
            raise
        self.commands += 1
        if cmd is not None:
            self.inbox.put(cmd, time.monotonic())

    async def _websocket(self, request):
        from aiohttp import WSMsgType, web

        if len(self._clients) >= MAX_CLIENTS:
            raise web.HTTPServiceUnavailable(text="too many pages open")
        ws = web.WebSocketResponse(max_msg_size=messages.MAX_BODY, heartbeat=20)
        await ws.prepare(request)
        client = Client(ws)
        self._clients.add(client)
        if self._values_text:
            client.push("values", self._values_text)
        pump = asyncio.get_running_loop().create_task(client.pump())
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break  # binary frames, or an error (a frame over MAX_BODY closes the socket with 1009)
                await self._pacer.take()
                try:
                    self._handle(msg.data)
                except Refused as exc:
                    client.push("refused", json.dumps({"type": "refused", "error": str(exc)}))
        finally:
            self._clients.discard(client)
            pump.cancel()
        return ws

    async def _asset(self, request):
        return pages.asset(request.match_info["name"])

    async def _oscquery(self, request):
        return pages.oscquery_answer(request, self._params, self._state, self.presets(), self.osc_host, self.osc_port)
