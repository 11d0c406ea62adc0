"""Real Xvfb, jackd and jack_metro processes for the live tests and benchmarks, started and always stopped here."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

MIDI_SENDER = Path(__file__).with_name("midi_sender.py")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _free_display() -> int:
    for n in range(90 + os.getpid() % 400, 1000):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


@contextlib.contextmanager
def xvfb(size: tuple[int, int] = (1024, 768)) -> Iterator[tuple[str, Path]]:
    """An Xvfb server: yields (DISPLAY, the file that mirrors its screen as an XWD image)."""
    fbdir = Path(tempfile.mkdtemp(prefix="livedream-xvfb-"))
    for _ in range(5):
        n = _free_display()
        proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp", "-fbdir", str(fbdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while proc.poll() is None and not Path(f"/tmp/.X11-unix/X{n}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None and Path(f"/tmp/.X11-unix/X{n}").exists():
            break
        _stop(proc)
    else:
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{n}", fbdir / "Xvfb_screen0"
    finally:
        _stop(proc)
        shutil.rmtree(fbdir, ignore_errors=True)


def screenshot(xwd_file: Path) -> np.ndarray:
    """The X server's screen now, read from Xvfb's -fbdir file: [h, w, 3] uint8 (24-bit TrueColor, 32 bpp)."""
    data = xwd_file.read_bytes()
    fields = struct.unpack(">25I", data[:100])
    header_size, width, height = fields[0], fields[4], fields[5]
    byte_order, bpp, bytes_per_line, ncolors = fields[7], fields[11], fields[12], fields[19]
    assert bpp == 32, f"expected 32 bits per pixel, got {bpp}"
    start = header_size + 12 * ncolors
    pixels = np.frombuffer(data, np.uint8, height * bytes_per_line, start).reshape(height, bytes_per_line)
    pixels = pixels[:, : width * 4].reshape(height, width, 4)
    bgr = pixels[..., :3] if byte_order == 0 else pixels[..., 1:][..., ::-1]  # LSB first: B, G, R, pad
    return np.ascontiguousarray(bgr[..., ::-1])


@contextlib.contextmanager
def jackd(
    rate: int = 48000, period: int = 512, name: str | None = None, inputs: int = 2, sync: bool = False
) -> Iterator[str]:
    """A JACK server with the dummy backend (`inputs` capture channels) under a unique name; yields the name.

    sync: jackd -S, the server waits for a late client instead of running the cycle without it. In the default
    (asynchronous) mode a client that misses its cycle on a loaded machine loses that cycle's MIDI events: a
    lost note, or two clock ticks (41 ms of phase at 128 bpm), seen about once in a dozen runs of the MIDI tests.
    """
    name = name or f"livedream-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"}
    server_opts = ["-n", name, "-S"] if sync else ["-n", name]
    driver_opts = ["-d", "dummy", "-r", str(rate), "-p", str(period), "-C", str(inputs)]
    proc = subprocess.Popen(
        ["jackd", *server_opts, *driver_opts],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not ports(name):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"jackd {name} did not start")
            time.sleep(0.1)
        _servers[name] = proc
        yield name
    finally:
        _servers.pop(name, None)
        _stop(proc)


_servers: dict[str, subprocess.Popen] = {}


def kill_server(name: str) -> None:
    """Stop a server started by jackd() under its clients' feet.

    SIGTERM, not SIGKILL: a SIGKILLed jackd leaves its slot in JACK's shared-memory registry, and after
    eight of them no server can start on the machine ("Too many servers already active").
    """
    _stop(_servers[name])


def jack_env(server: str) -> dict[str, str]:
    return {**os.environ, "JACK_DEFAULT_SERVER": server}


def ports(server: str) -> list[str]:
    """The server's port names ([] when it is not up)."""
    out = subprocess.run(["jack_lsp", "-s", server], capture_output=True, text=True, timeout=10)
    return [] if out.returncode else [line.strip() for line in out.stdout.splitlines() if line.strip()]


def wait_for_ports(server: str, prefix: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in ports(server) if p.startswith(prefix)]
        if found:
            return found
        time.sleep(0.1)
    raise RuntimeError(f"no JACK port {prefix}* on {server} after {timeout} s")


def connect(server: str, src: str, dst: str) -> None:
    subprocess.run(["jack_connect", "-s", server, src, dst], check=True, timeout=10)


@contextlib.contextmanager
def metronome(server: str, bpm: int = 120, click_ms: int = 30) -> Iterator[str]:
    """jack_metro on the server; yields its output port. (30 ms clicks: one onset each to the analyzer.)"""
    name = f"metro{uuid.uuid4().hex[:6]}"
    proc = subprocess.Popen(
        ["jack_metro", "-b", str(bpm), "-D", str(click_ms), "-n", name],
        env=jack_env(server),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = wait_for_ports(server, f"{name}:")[0]
        yield port
    finally:
        _stop(proc)


class MidiSender:
    """tests/helpers/midi_sender.py in its own process, with a JACK MIDI output port CLIENT:out; call it with one
    of the sender's command lines ("cc 1 21 127"), it returns the answer line."""

    def __init__(self, server: str, client: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(MIDI_SENDER), client],
            env=jack_env(server),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def __call__(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.proc.communicate("quit\n", timeout=10)  # closes both pipes: warnings are errors, none left open
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def free_udp_port() -> int:
    """A UDP port nobody listens on now on 127.0.0.1 (the kernel's pick)."""
    return _free_port(socket.SOCK_DGRAM)


def free_tcp_port() -> int:
    """A TCP port nobody listens on now on 127.0.0.1 (the kernel's pick)."""
    return _free_port(socket.SOCK_STREAM)


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oscsend(port: int, address: str, types: str = "", *values: object) -> None:
    """One OSC message to 127.0.0.1:port with liblo's oscsend: a real client, not ours."""
    subprocess.run(
        ["oscsend", "127.0.0.1", str(port), address, *([types] if types else []), *map(str, values)],
        check=True,
        timeout=10,
    )


@contextlib.contextmanager
def oscdump(port: int) -> Iterator[Path]:
    """liblo's oscdump listening on port; yields the file it writes one line per message to."""
    out = Path(tempfile.mkstemp(prefix="livedream-oscdump-", suffix=".txt")[1])
    with open(out, "w") as sink:
        proc = subprocess.Popen(["oscdump", "-L", str(port)], stdout=sink, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        yield out
    finally:
        _stop(proc)
        out.unlink(missing_ok=True)


def udp_bound_addresses(port: int) -> list[str]:
    """The local IPv4 addresses a UDP socket is bound to on this port, from /proc/net/udp ("127.0.0.1")."""
    return _bound_addresses("udp", port)


def tcp_bound_addresses(port: int) -> list[str]:
    """The local IPv4 addresses listening on this TCP port, from /proc/net/tcp."""
    return _bound_addresses("tcp", port, state="0A")  # LISTEN


def _bound_addresses(proto: str, port: int, state: str | None = None) -> list[str]:
    found = []
    for line in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
        fields = line.split()
        hex_ip, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and state in (None, fields[3]):
            found.append(".".join(str(b) for b in reversed(bytes.fromhex(hex_ip))))
    return found


def press_key(display: str, key: str, at: tuple[int, int] = (20, 20)) -> None:
    """A real key press and release on an X server (the XTEST extension through libXtst), with the pointer moved
    to `at` first so the window there has the focus (Xvfb has no window manager). key is an X keysym name."""
    import ctypes

    x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
    xtst = ctypes.cdll.LoadLibrary("libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        raise RuntimeError(f"cannot open X display {display}")
    try:
        xtst.XTestFakeMotionEvent(dpy, -1, at[0], at[1], 0)
        code = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(key.encode()))
        xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
        xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)
