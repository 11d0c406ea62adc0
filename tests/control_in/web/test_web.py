"""The web control server over real HTTP and websockets on 127.0.0.1: OSCQuery, commands, and bad input."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("aiohttp")

import aiohttp  # noqa: E402

from livedream.control_in.inbox import ControlInbox  # noqa: E402
from livedream.control_in.web import oscquery  # noqa: E402
from livedream.control_in.web.server import WebServer  # noqa: E402
from livedream.errors import LivedreamError  # noqa: E402
from livedream.params import BY_NAME, PARAMS, defaults  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

STATE = {"preset": "default", "freeze": False, "blackout": True, "tap_bpm": None, "seed": 0, "fading": False}
PRESETS = ["default", "rave"]


def start(token=None, osc_port=9000) -> tuple[WebServer, ControlInbox]:
    inbox = ControlInbox()
    server = WebServer("127.0.0.1", 0, inbox, presets=lambda: PRESETS, osc_port=osc_port, token=token).start()
    params = {**defaults(), "speed_fpm": 30.0, "classes": [3, 7], "class_shuffle_seconds": 8.0}
    server.listener.values(params, STATE, everything=True)
    deadline = time.monotonic() + 5
    while not server._values_text and time.monotonic() < deadline:
        time.sleep(0.01)
    return server, inbox


@pytest.fixture
def served():
    server, inbox = start()
    yield server, inbox
    server.stop()


def get(server: WebServer, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def post(server: WebServer, body: bytes, path: str = "/api/command", headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=body, method="POST", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {"text": text.decode(errors="replace")}


def command(address: str, *args) -> bytes:
    return json.dumps({"address": address, "args": list(args)}).encode()


def test_oscquery_namespace_matches_the_parameter_table_over_http(served):
    server, _ = served
    status, body, headers = get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    root = json.loads(body)
    assert root["FULL_PATH"] == "/"
    methods = root["CONTENTS"]["livedream"]["CONTENTS"]
    in_force = {**defaults(), "speed_fpm": 30.0, "classes": [3, 7], "class_shuffle_seconds": 8.0}
    for p in PARAMS:
        node = methods[p.name]
        assert node["FULL_PATH"] == f"/livedream/{p.name}" and node["ACCESS"] == 3
        assert node["DESCRIPTION"].startswith(p.help) and node["TAGS"] == [p.group]
        assert node["TYPE"] == {"float": "f", "int": "i", "bool": "T", "choice": "s", "int_list": "s"}[p.kind]
        if p.kind in ("float", "int"):
            assert node["RANGE"] == [{"MIN": p.lo, "MAX": p.hi}]
        value = in_force[p.name]
        expected = None if value is None else [",".join(map(str, value))] if p.kind == "int_list" else [value]
        assert node.get("VALUE") == expected, p.name  # a null value in force has no VALUE
        if p.kind != "int_list" and value is not None:
            norm = methods["norm"]["CONTENTS"][p.name]
            assert norm["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}] and norm["VALUE"] == [p.to_norm(value)]
    assert methods["classes"]["VALUE"] == ["3,7"]
    assert methods["preset"]["RANGE"] == [{"VALS": PRESETS}] and methods["preset"]["VALUE"] == ["default"]
    assert methods["blackout"] == {**methods["blackout"], "TYPE": "T", "VALUE": [True]}
    assert methods["tap"]["ACCESS"] == 2
    # every method is an address the OSC decoder takes, with a value of its TYPE
    from livedream.control_in.osc import decode

    assert decode("/livedream/norm/class_shuffle_seconds", [1.0]).value == BY_NAME["class_shuffle_seconds"].hi
    assert decode("/livedream/classes", ["3,7"]).value == [3, 7]
    # one node, one attribute, HOST_INFO, and the errors the spec asks for
    status, body, _ = get(server, "/livedream/speed_fpm")
    assert json.loads(body)["VALUE"] == [30.0]
    assert json.loads(get(server, "/livedream/speed_fpm?VALUE")[1]) == {"VALUE": [30.0]}
    assert json.loads(get(server, "/livedream/speed_fpm?RANGE")[1]) == {"RANGE": [{"MIN": 0.0, "MAX": 240.0}]}
    assert get(server, "/livedream/speed_fpm?CONTENTS")[0] == 204
    assert get(server, "/livedream/speed_fpm?GABBA")[0] == 400
    assert get(server, "/livedream/nothing_here")[0] == 404
    info = json.loads(get(server, "/?HOST_INFO")[1])
    assert info["OSC_PORT"] == 9000 and info["OSC_TRANSPORT"] == "UDP" and info["EXTENSIONS"]["VALUE"] is True


def test_oscquery_is_read_only_when_there_is_no_osc_server():
    server, _ = start(osc_port=None)
    try:
        methods = json.loads(get(server, "/livedream")[1])["CONTENTS"]
        assert {n["ACCESS"] for n in methods.values() if "ACCESS" in n} <= {0, 1}
        assert "OSC_PORT" not in json.loads(get(server, "/?HOST_INFO")[1])
    finally:
        server.stop()


def test_the_page_and_only_its_own_files_are_served(served):
    server, _ = served
    status, body, headers = get(server, "/", {"Accept": "text/html,application/xhtml+xml"})
    assert status == 200 and b"<title>livedream</title>" in body and headers["Content-Type"].startswith("text/html")
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, body, headers = get(server, f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind) and len(body) > 500
    for path in (
        "/static/../../../../etc/passwd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/server.py",
        "/static/__init__.py",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/",
        "/etc/passwd",
    ):
        status, body, _ = get(server, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body and b"import" not in body, path


def test_valid_commands_reach_the_inbox_as_osc_would_put_them(served):
    server, inbox = served
    for body in (
        command("/livedream/norm/speed_fpm", 0.5),
        command("/livedream/truncation", 1.5),
        command("/livedream/pulse_percussive", False),
        command("/livedream/class_shuffle_seconds", None),
        command("/livedream/classes", "1,2,3"),
        command("/livedream/freeze", True),
        command("/livedream/preset", "rave"),
        command("/livedream/norm/class_shuffle_seconds", 0.5),  # the log curve: sqrt(0.05 * 3600)
        command("/livedream/tap", 1),
    ):
        assert post(server, body) == (200, {"ok": True}), body
    got = inbox.drain()
    assert got.preset == "rave" and got.freeze is True and len(got.taps) == 1
    assert got.params == {
        "class_shuffle_seconds": pytest.approx((0.05 * 3600) ** 0.5)
    }  # the preset came after the rest


@pytest.mark.parametrize(
    "body, why",
    [
        (b"{not json", "not JSON"),
        (b'{"address": "/livedream/speed_fpm", "args": [NaN]}', "NaN"),
        (b'{"address": "/livedream/speed_fpm", "args": [Infinity]}', "Infinity"),
        (b'{"address": "/livedream/speed_fpm", "args": [1e999]}', "finite"),
        (command("/livedream/speed_fpm", 241), "not allowed"),
        (command("/livedream/norm/speed_fpm", 1.5), "normalised"),
        (command("/livedream/speed_fpm", "fast"), "not allowed"),
        (command("/livedream/no_such_parameter", 1), "unknown address"),
        (command("/etc/passwd", 1), "unknown address"),
        (b'["/livedream/speed_fpm", 1]', "expected"),
        (b'{"address": "/livedream/speed_fpm", "args": [{"x": 1}]}', "arguments"),
        (b'{"address": "/livedream/speed_fpm", "args": ' + b"[" * 5000 + b"]" * 5000 + b"}", ""),
    ],
)
def test_bad_commands_are_refused_and_the_value_in_force_stays(served, body, why):
    server, inbox = served
    assert post(server, command("/livedream/speed_fpm", 30))[0] == 200
    status, answer = post(server, body)
    assert status == 400 and why in answer["error"], answer
    assert inbox.drain().params == {"speed_fpm": 30}
    assert server.counters["refused"] >= 1


def test_a_10_mb_body_is_refused_unread_and_the_server_goes_on(served):
    server, inbox = served
    status, _ = post(server, b'{"address": "/livedream/speed_fpm", "args": [' + b" " * 10_000_000 + b"1]}")
    assert status == 413
    assert post(server, command("/livedream/speed_fpm", 31)) == (200, {"ok": True})
    assert inbox.drain().params == {"speed_fpm": 31}


def test_the_token_host_and_origin_guard_commands():
    server, inbox = start(token="s3cret")
    try:
        assert post(server, command("/livedream/speed_fpm", 50))[0] == 403
        assert post(server, command("/livedream/speed_fpm", 51), "/api/command?token=wrong")[0] == 403
        assert get(server, "/api/table")[0] == 403
        assert post(server, command("/livedream/speed_fpm", 52), "/api/command?token=s3cret")[0] == 200
        assert post(server, command("/livedream/speed_fpm", 53), headers={"X-Livedream-Token": "s3cret"})[0] == 200
        evil = {"X-Livedream-Token": "s3cret", "Origin": "http://evil.example"}
        assert post(server, command("/livedream/speed_fpm", 54), headers=evil)[0] == 403
        rebound = {"X-Livedream-Token": "s3cret", "Host": f"evil.example:{server.port}"}
        assert post(server, command("/livedream/speed_fpm", 55), headers=rebound)[0] == 403
        assert inbox.drain().params == {"speed_fpm": 53}
        assert get(server, "/livedream/speed_fpm")[0] == 200  # OSCQuery is read-only and open
    finally:
        server.stop()


def test_beyond_loopback_a_token_is_made_and_put_in_the_url():
    server = WebServer("0.0.0.0", 8080, ControlInbox())  # not started: tests never bind beyond loopback
    assert server.token and len(server.token) >= 16 and server.url == f"http://127.0.0.1:8080/?token={server.token}"
    assert WebServer("127.0.0.1", 8080, ControlInbox()).token is None


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebServer("127.0.0.1", port, ControlInbox())
        with pytest.raises(LivedreamError) as err:
            server.start()
    assert f"--web-port {port}: cannot serve on 127.0.0.1:{port}" in str(err.value) and "\n" not in str(err.value)
    assert not any(t.name == "livedream-web" for t in threading.enumerate())


def test_the_websocket_follows_changes_and_survives_floods(served):
    server, inbox = served
    calls: list[float] = []

    async def session():
        url = f"ws://127.0.0.1:{server.port}/ws"
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            first = json.loads((await ws.receive()).data)
            assert first["type"] == "values" and first["params"]["speed_fpm"] == 30.0
            assert (
                first["norm"]["speed_fpm"] == pytest.approx(BY_NAME["speed_fpm"].to_norm(30.0))
                and first["state"]["blackout"] is True
            )
            # a change made elsewhere (OSC, a preset) reaches the page; the main thread's call is quick
            t0 = time.perf_counter()
            server.listener.values({**defaults(), "truncation": 1.5}, {**STATE, "preset": "rave"})
            calls.append(time.perf_counter() - t0)
            while (msg := json.loads((await ws.receive()).data))["type"] != "values":
                pass
            assert msg["params"]["truncation"] == 1.5 and msg["state"]["preset"] == "rave"
            # a flood: 800 valid and invalid commands (paced at COMMANDS_PER_S); the newest valid value wins
            for i in range(400):
                await ws.send_str(json.dumps({"address": "/livedream/speed_fpm", "args": [i % 240]}))
                await ws.send_str('{"address": "/livedream/speed_fpm", "args": [NaN]}')
            await ws.send_str(json.dumps({"address": "/livedream/speed_fpm", "args": [77]}))
            deadline = time.monotonic() + 10
            while server.commands + server.refused < 801 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            # a frame over the size limit closes this socket, nothing else
            await ws.send_str("x" * 100_000)
            while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                pass

    asyncio.run(session())
    assert calls[0] < 0.005
    assert inbox.drain().params == {"speed_fpm": 77}
    assert server.commands >= 401 and server.refused >= 400
    assert post(server, command("/livedream/speed_fpm", 12)) == (200, {"ok": True})


def test_the_namespace_for_every_parameter_kind():
    """Pure: nullable values have no VALUE; switches are T; lists travel as one string."""
    params = {**defaults(), "class_shuffle_seconds": None, "classes": None}
    methods = oscquery.namespace(params, {"preset": "x", "freeze": True}, ["x"])["CONTENTS"]["livedream"]["CONTENTS"]
    assert "VALUE" not in methods["class_shuffle_seconds"] and methods["classes"]["VALUE"] == [""]
    assert methods["pulse_percussive"]["TYPE"] == "T" and methods["pulse_percussive"]["VALUE"] == [True]
    assert methods["norm"]["CONTENTS"]["pulse_percussive"]["VALUE"] == [1.0]
    assert "classes" not in methods["norm"]["CONTENTS"]
    assert oscquery.find({"CONTENTS": methods}, "/norm/truncation/")["FULL_PATH"] == "/livedream/norm/truncation"


def test_refusals_are_logged_at_most_once_a_second(served, caplog):
    server, _ = served
    with caplog.at_level(logging.WARNING, logger="livedream.control_in.ratelimit"):
        for _ in range(20):
            post(server, command("/livedream/speed_fpm", -1))
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) <= 2


def test_the_cli_says_one_line_for_a_taken_port_and_bad_flags(capsys):
    from livedream.cli.main import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["live", "--no-osc", "--web-port", str(port)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"livedream: error: --web-port {port}: cannot serve on 127.0.0.1"), err
    for argv, says in (
        (["live", "--web-port", "70000"], "expected a TCP port number"),
        (["live", "--advertise"], "give --web-port too"),
        (["live", "--ndi", " "], "the NDI source needs a name"),
    ):
        assert main(argv) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err


def test_advertised_services_are_oscquery_and_osc():
    from livedream.control_in.web.advertise import services

    assert services(8080, 9000, "livedream on box") == [
        ("_oscjson._tcp.local.", "livedream on box._oscjson._tcp.local.", 8080),
        ("_osc._udp.local.", "livedream on box._osc._udp.local.", 9000),
    ]
    assert services(8080, None, "x") == [("_oscjson._tcp.local.", "x._oscjson._tcp.local.", 8080)]


NETWORK_SCRIPT = """
import json, logging, sys, urllib.request, urllib.error
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from livedream.control_in.inbox import ControlInbox
from livedream.control_in.web.server import WebServer
server = WebServer("0.0.0.0", 0, ControlInbox()).start()
def status(path):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
print(json.dumps({"token": server.token, "without": status("/api/table"),
                  "with": status(f"/api/table?token={server.token}"), "oscquery": status("/livedream")}))
server.stop()
"""


def test_beyond_loopback_the_server_says_so_and_wants_its_token(tmp_path):
    """0.0.0.0 for real, inside a private network namespace whose only network is its own loopback."""
    import subprocess
    import sys

    from tests.helpers.markers import netns_prefix

    if netns_prefix() is None:
        pytest.skip("no private network namespace (unshare -n): tests never bind beyond loopback otherwise")
    run = subprocess.run([*netns_prefix(), sys.executable, "-c", NETWORK_SCRIPT], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["without"] == 403 and got["with"] == 200 and got["oscquery"] == 200
    lines = run.stderr.strip().splitlines()
    assert "web: reachable from the network on 0.0.0.0:" in lines[0] and f"?token={got['token']}" in lines[0], lines
    assert lines[1:] == ["web: refused GET /api/table: wrong or missing token"]


def test_loopback_is_every_127_address_and_localhost():
    from livedream.control_in.web.guard import host_name, is_loopback

    assert all(map(is_loopback, ("127.0.0.1", "127.0.0.2", "::1", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "192.168.1.2", "evil.example", "")))
    assert [host_name(h) for h in ("127.0.0.1:80", "[::1]:8080", "localhost", "::1")] == [
        "127.0.0.1",
        "::1",
        "localhost",
        "::1",
    ]
