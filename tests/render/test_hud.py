"""The HUD: letters that scale with the window, a peak-hold meter, and --record-hud drawing it into the frame."""

from __future__ import annotations

import numpy as np
import pytest

from livedream.modes.clock import FrameTime
from livedream.modes.stats import PeakHold
from livedream.render.hud import Hud, HudOverlay
from livedream.sinks.base import OutputFrame


def test_the_meter_holds_its_peak_then_falls():
    peak = PeakHold()
    assert peak.update(0.5, 0.0) == 0.5
    assert peak.update(0.0, 1.0) == 0.5  # between two hits: held
    fallen = peak.update(0.0, 2.5)  # 1 s past the hold: 20 dB down
    assert fallen == pytest.approx(0.05, rel=0.05)
    assert peak.update(0.3, 2.6) == 0.3  # a new hit above the falling level


@pytest.mark.gl
def test_hud_letters_scale_with_the_window_and_record_hud_draws_upright_into_the_frame(ctx):
    hud = Hud(ctx)
    assert hud.font_px(256) == 12 and hud.font_px(1080) == 24 and hud.font_px(2160) == 48
    sizes = []
    for height in (256, 1080):
        hud.set_text(["60.0 fps", "input -12.0 dBFS"], height)
        sizes.append(hud._texture.size)
    assert sizes[1][1] > 1.7 * sizes[0][1]  # the text block grows with the window

    class Toggle:  # stands in for the window sink's H toggle
        show_hud, hud_in_frame = True, False

    tex = ctx.texture((320, 240), 4)
    fbo = ctx.framebuffer([tex])
    fbo.use()
    fbo.clear(0.0, 0.5, 0.0, 1.0)
    frame = OutputFrame(ctx, fbo, tex, FrameTime(0, 0.0, 0.0))
    toggle = Toggle()
    HudOverlay(hud, lambda: ["HUD TEXT", "second line"], toggle).write(frame)
    assert toggle.hud_in_frame  # the window then does not draw it a second time
    pixels = frame.pixels().astype(int)  # [240, 320, 3], rows top first
    top_left, bottom_left = pixels[:40, :120], pixels[-40:, :120]
    assert np.abs(top_left - [0, 128, 0]).mean() > 20  # the HUD is at the picture's top left ...
    assert np.abs(bottom_left - [0, 128, 0]).max() <= 1  # ... not mirrored to the bottom
    hud.release()
    fbo.release()
    tex.release()
