"""The control page in a real headless Chromium (Selenium), steering a running `livedream live` (Xvfb, JACK)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from livedream.params import BY_NAME, PARAMS
from tests.helpers import live_harness as h
from tests.helpers.live_run import LiveRun, live_process
from tests.helpers.markers import LIVE_TOOLS

pytestmark = [pytest.mark.gl, pytest.mark.slow, pytest.mark.browser, pytest.mark.needs(*LIVE_TOOLS, "oscsend")]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--window-size=420,1000",  # a phone's width
]


@dataclass(kw_only=True)
class WebLive(LiveRun):
    osc_port: int
    web_port: int


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    preset = tmp / "mine.yaml"
    preset.write_text("speed_fpm: 20\npreset_fade_s: 0\n")
    (tmp / "other.yaml").write_text("speed_fpm: 90\npreset_fade_s: 0\n")
    stats, stderr = tmp / "stats.jsonl", tmp / "stderr.txt"
    osc_port, web_port = h.free_udp_port(), h.free_tcp_port()
    with contextlib.ExitStack() as stack:
        display, _ = stack.enter_context(h.xvfb())
        server = stack.enter_context(h.jackd())
        metro = stack.enter_context(h.metronome(server, bpm=120))
        args = ["--size", "96x96", "--osc-port", str(osc_port), "--web-port", str(web_port), "--stats-file", str(stats),
                "--stats-interval", "0.2", "--preset", str(preset), "--duration", "120",
                "--virtual-camera", "/dev/livedream-no-such-camera"]  # fmt: skip
        proc = stack.enter_context(live_process(args, {**h.jack_env(server), "DISPLAY": display}, stderr))
        for port in h.wait_for_ports(server, "livedream:in"):
            h.connect(server, metro, port)
        lv = WebLive(proc=proc, stats=stats, stderr=stderr, wait_s=10.0, osc_port=osc_port, web_port=web_port)
        lv.wait(lambda r: r["frames"] > 10, timeout=60, what="the first frames")
        yield lv


@pytest.fixture(scope="module")
def browser(live, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except Exception:  # noqa: BLE001 - a busy machine can make Chromium miss its start-up deadline once
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"http://127.0.0.1:{live.web_port}/")
        wait_page(driver, lambda d: d.find_element("id", "status").text == "live", "the websocket")
        yield driver
    finally:
        driver.quit()


def wait_page(driver, pred, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred(driver):
                return
        except Exception:  # noqa: BLE001 - the element may not exist yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"the page did not show {what}")


def fader(driver, name: str):
    return driver.find_element("css selector", f'[data-param="{name}"]')


def press(driver, element) -> None:
    """Click as a person would, with the control scrolled to the middle of the screen (not under the header)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_the_page_steers_the_show(live, browser):
    from selenium.webdriver.common.keys import Keys

    assert h.tcp_bound_addresses(live.web_port) == ["127.0.0.1"]
    assert f"web: control page at http://127.0.0.1:{live.web_port}/ (this machine only" in live.log()
    # one control per parameter, in the table's groups
    groups = [s.get_attribute("data-group") for s in browser.find_elements("css selector", "[data-group]")]
    assert groups == list(dict.fromkeys(p.group for p in PARAMS))
    assert {e.get_attribute("data-param") for e in browser.find_elements("css selector", "[data-param]")} == {
        p.name for p in PARAMS
    }
    # a fader moved with the keyboard, as a person would: End is the top of its travel
    fader(browser, "speed_fpm").send_keys(Keys.END)
    live.wait(lambda r: r["params"]["speed_fpm"] == 240.0, what="speed_fpm at the top of the fader")
    fader(browser, "class_shuffle_seconds").send_keys(Keys.HOME)  # the log curve's bottom
    live.wait(lambda r: r["params"]["class_shuffle_seconds"] == 0.05, what="class_shuffle_seconds at 0.05")
    press(browser, fader(browser, "pulse_percussive"))
    live.wait(lambda r: r["params"]["pulse_percussive"] is False, what="the switch")
    press(browser, browser.find_element("id", "freeze"))
    live.wait(lambda r: r["freeze"] is True, what="freeze")
    press(browser, browser.find_element("id", "freeze"))
    live.wait(lambda r: r["freeze"] is False, what="freeze off")
    seed = live.records()[-1]["seed"]
    press(browser, browser.find_element("id", "reseed"))
    live.wait(lambda r: r["seed"] == seed + 1, what="a new seed")
    tap = browser.find_element("id", "tap")
    for _ in range(3):  # three taps half a second apart (and a click's time): about 120 BPM
        press(browser, tap)
        time.sleep(0.5)
    rec = live.wait(lambda r: r["tap_bpm"] is not None, what="a tap tempo")
    assert 70 <= rec["tap_bpm"] <= 125, rec["tap_bpm"]  # 120 less the time a click takes on a busy machine
    press(browser, browser.find_element("css selector", '[data-preset="other"]'))
    rec = live.wait(lambda r: r["preset"] == "other", what="the preset")
    assert live.wait(lambda r: True)["params"]["speed_fpm"] == 90.0, rec
    assert live.records()[-1]["web"]["refused"] == 0


def test_a_video_out_that_fails_is_one_line_and_the_picture_goes_on(live):
    first = live.wait(lambda r: "video_out" in r, what="video out counters")
    time.sleep(2.5)  # past one retry
    later = live.wait(lambda r: True, what="a record")
    out = later["video_out"]["virtual camera /dev/livedream-no-such-camera"]
    assert out["failed"] and out["sent"] == 0
    assert later["frames"] > first["frames"] + 20 and later["fps"] > 5
    lines = [line for line in live.log().splitlines() if "virtual camera" in line]
    assert len(lines) == 1 and "ERROR" in lines[0] and "the picture goes on" in lines[0], lines


def test_the_page_follows_osc_and_shows_the_meter(live, browser, tmp_path):
    h.oscsend(live.osc_port, "/livedream/truncation", "f", 1.5)
    h.oscsend(live.osc_port, "/livedream/blackout", "i", 1)
    want = str(round(BY_NAME["truncation"].to_norm(1.5) * 1000))
    wait_page(browser, lambda d: fader(d, "truncation").get_attribute("value") == want, "the OSC value on the fader")
    text = browser.find_element("css selector", '[data-value="truncation"]').text
    assert text == "1.5"
    wait_page(browser, lambda d: "on" in d.find_element("id", "blackout").get_attribute("class"), "blackout on")
    # the metronome: the level bar moves and a tempo shows
    wait_page(browser, lambda d: d.find_element("id", "level-bar").value_of_css_property("width") != "0px", "a level")
    h.oscsend(live.osc_port, "/livedream/blackout", "i", 0)
    wait_page(browser, lambda d: "on" not in d.find_element("id", "blackout").get_attribute("class"), "blackout off")
    shot = tmp_path / "page.png"
    browser.save_screenshot(str(shot))
    keep = os.environ.get("LIVEDREAM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "web-page-phone.png").write_bytes(shot.read_bytes())
    picture = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert picture.shape[1] >= 400 and picture.std() > 10  # a page was drawn, not a blank


def test_bad_requests_and_a_flood_leave_the_value_and_the_picture(live, browser):
    base = f"http://127.0.0.1:{live.web_port}"

    def post(body: bytes) -> int:
        req = urllib.request.Request(base + "/api/command", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert post(json.dumps({"address": "/livedream/speed_fpm", "args": [33]}).encode()) == 200
    live.wait(lambda r: r["params"]["speed_fpm"] == 33, what="33")
    baseline = [live.wait(lambda r: True, what="a baseline record") for _ in range(5)]
    bad = [b"{oops", b'{"address": "/livedream/speed_fpm", "args": [NaN]}',
           b'{"address": "/livedream/speed_fpm", "args": [1000]}', b'{"address": "/livedream/nope", "args": [1]}']  # fmt: skip
    t0, sent = time.monotonic(), 0
    while time.monotonic() - t0 < 1.0 and sent < 2000:  # requests, one connection each: bounded in count and time
        assert post(bad[sent % len(bad)]) == 400
        sent += 1
    assert post(b"x" * 10_000_000) == 413
    flooded = asyncio.run(websocket_flood(live.web_port, bad, seconds=2.0, most=2500))
    after = live.wait(lambda r: True, what="a record after the flood")
    during = [r for r in live.records() if baseline[-1]["t"] < r["t"] <= after["t"]]
    assert after["params"]["speed_fpm"] == 33
    assert after["web"]["refused"] - baseline[-1]["web"]["refused"] >= sent + min(flooded, 500)
    base_fps = np.median([r["fps"] for r in baseline])
    fps = [r["fps"] for r in during]
    print(f"web flood: {sent} requests + {flooded} websocket messages; fps {base_fps} before, {fps} during")
    assert sent >= 20 and flooded >= 1000 and len(during) >= 10
    assert np.mean(fps) >= 0.8 * base_fps, (base_fps, fps)  # the picture went on at its pace


async def websocket_flood(port: int, messages: list[bytes], seconds: float, most: int) -> int:
    """As many bad messages as one websocket takes in `seconds` (at most `most`); returns how many were sent."""
    import aiohttp

    sent, t0 = 0, time.monotonic()
    async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:
        while time.monotonic() - t0 < seconds and sent < most:
            await ws.send_str(messages[sent % len(messages)].decode())
            sent += 1
            if sent % 256 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.5)  # let the server read what is in flight
    return sent
