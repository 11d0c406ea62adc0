"""Run inside a private network namespace (tests/sinks/test_videoout.py): NDI out -> an NDI receiver in this process.

Prints one JSON line: what the receiver got from an NdiSink fed directly, and from `livedream export --ndi`.
The namespace has only loopback, so NDI's discovery (mDNS multicast) cannot reach any network.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import NDIlib as ndi
import numpy as np


def receive(name_part: str, want: int, timeout: float, feed=None) -> list[np.ndarray]:
    """Find the source whose name contains name_part, connect, and collect up to `want` RGBA frames."""
    assert ndi.initialize(), "the NDI runtime does not start here"
    settings = ndi.FindCreate()
    settings.extra_ips = "127.0.0.1"  # asked directly: no multicast discovery needed
    finder = ndi.find_create_v2(settings)
    frames: list[np.ndarray] = []
    deadline = time.monotonic() + timeout
    try:
        source = None
        while source is None and time.monotonic() < deadline:
            if feed:
                feed()
            ndi.find_wait_for_sources(finder, 100)
            source = next((s for s in ndi.find_get_current_sources(finder) if name_part in s.ndi_name), None)
        if source is None:
            return frames
        settings = ndi.RecvCreateV3()
        settings.color_format = ndi.RECV_COLOR_FORMAT_RGBX_RGBA
        settings.source_to_connect_to = source
        recv = ndi.recv_create_v3(settings)
        try:
            while len(frames) < want and time.monotonic() < deadline:
                if feed:
                    feed()
                kind, video, _, _ = ndi.recv_capture_v2(recv, 100)
                if kind == ndi.FRAME_TYPE_VIDEO:
                    frames.append(np.copy(video.data))
                    ndi.recv_free_video_v2(recv, video)
        finally:
            ndi.recv_destroy(recv)
    finally:
        ndi.find_destroy(finder)
    return frames


def direct() -> dict:
    from livedream.sinks.ndi import NdiSink

    picture = np.zeros((48, 80, 4), np.uint8)  # [h, w, 4]: red left half, blue right half, a green top row
    picture[:, :40] = (230, 20, 20, 255)
    picture[:, 40:] = (20, 20, 230, 255)
    picture[:4] = (20, 230, 20, 255)
    sink = NdiSink("livedream-direct")
    try:
        frames = receive("livedream-direct", 3, 20.0, feed=lambda: sink.put(picture.copy()))
    finally:
        sink.close()
    if not frames:
        return {"frames": 0}
    f = frames[-1].astype(int)
    return {
        "frames": len(frames),
        "shape": list(f.shape),
        "left": f[24, 10].tolist(),
        "right": f[24, 70].tolist(),
        "top": f[1, 20].tolist(),
        "sent": sink.sent,
    }


def export(song: str, out: str) -> dict:
    from livedream.cli.main import main

    got: list[np.ndarray] = []
    thread = threading.Thread(target=lambda: got.extend(receive("livedream-export", 5, 30.0)))
    thread.start()
    time.sleep(0.3)
    code = main(["export", song, "-o", out, "--size", "96x64", "--fps", "30", "--ndi", "livedream-export", "-q"])
    thread.join()
    return {
        "code": code,
        "frames": len(got),
        "shape": list(got[0].shape) if got else None,
        "std": float(np.std(got[-1][..., :3])) if got else 0.0,
    }


if __name__ == "__main__":
    song, out = sys.argv[1], sys.argv[2]
    print(json.dumps({"direct": direct(), "export": export(song, out)}))
