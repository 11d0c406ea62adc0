"""The live Sink: a GLFW window with a moderngl context, keys, fullscreen on any monitor, and vsync."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import moderngl
import numpy as np

from livedream.errors import LivedreamError

if TYPE_CHECKING:
    from livedream.sinks.base import OutputFrame

log = logging.getLogger(__name__)

# Keys -> actions the live loop understands.
ACTIONS = {"F": "fullscreen", "ESCAPE": "escape", "Q": "quit", "H": "hud", "L": "learn"}  # Esc: cancel learn, or quit


class Window:
    """A window whose GL context lives on the thread that made it (the main thread).

    poll() returns the actions typed since the last call ("fullscreen", "quit", "escape", "hud", "learn"); `resized` is set
    when the framebuffer changed size. Pixel sizes are framebuffer sizes (HiDPI-safe).
    """

    def __init__(
        self,
        size: tuple[int, int],
        title: str = "livedream",
        fullscreen: bool = False,
        monitor: int = 0,
        vsync: bool = True,
    ):
        import glfw

        self._glfw = glfw
        self.glfw_error = ""
        glfw.set_error_callback(self._on_glfw_error)  # not pyGLFW's warning: our one line says what went wrong
        if not glfw.init():
            why = f" ({self.glfw_error})" if self.glfw_error else ""
            raise LivedreamError(f"cannot open a window: no display{why}; is DISPLAY set, or run under Xvfb")
        monitors = glfw.get_monitors() or []
        if monitors and not 0 <= monitor < len(monitors):
            glfw.terminate()
            raise LivedreamError(f"--monitor {monitor}: there are {len(monitors)} monitor(s), numbered from 0")
        self._monitor = monitors[monitor] if monitors else None
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        self._windowed_size = (int(size[0]), int(size[1]))
        self._windowed_pos = (64, 64)
        self.fullscreen = False
        self._win = glfw.create_window(*self._windowed_size, title, None, None)
        self._closed = False
        if not self._win:
            glfw.terminate()
            raise LivedreamError("cannot open a window: no OpenGL 3.3 context (install Mesa or a GPU driver)")
        glfw.make_context_current(self._win)
        glfw.swap_interval(1 if vsync else 0)
        self.ctx = moderngl.create_context(require=330)
        log.info("window GL: %s, %s", self.ctx.info.get("GL_RENDERER"), self.ctx.info.get("GL_VERSION"))
        self._actions: list[str] = []
        self.resized = False
        glfw.set_key_callback(self._win, self._on_key)
        glfw.set_framebuffer_size_callback(self._win, self._on_resize)
        if fullscreen:
            self.toggle_fullscreen()
        self._last_swap = time.monotonic()

    def _on_glfw_error(self, code: int, description: bytes | str) -> None:
        text = description.decode(errors="replace") if isinstance(description, bytes) else str(description)
        self.glfw_error = text
        log.debug("GLFW error %d: %s", code, text)

    @property
    def refresh_rate(self) -> float:
        """The monitor's refresh rate (60 when it does not say)."""
        mode = self._glfw.get_video_mode(self._monitor) if self._monitor else None
        return float(mode.refresh_rate) if mode and mode.refresh_rate > 0 else 60.0

    @property
    def size(self) -> tuple[int, int]:
        """Framebuffer size in pixels: what the effects draw into."""
        w, h = self._glfw.get_framebuffer_size(self._win)
        return max(1, w), max(1, h)

    @property
    def screen(self) -> moderngl.Framebuffer:
        return self.ctx.screen

    def _on_key(self, win, key: int, scancode: int, action: int, mods: int) -> None:
        glfw = self._glfw
        if action != glfw.PRESS:
            return
        for name, what in ACTIONS.items():
            if key == getattr(glfw, f"KEY_{name}"):
                self._actions.append(what)

    def _on_resize(self, win, width: int, height: int) -> None:
        self.resized = True

    def poll(self) -> list[str]:
        """Handle window events; the actions since the last poll ("quit" too when the window was closed)."""
        self._glfw.poll_events()
        actions, self._actions = self._actions, []
        if self._glfw.window_should_close(self._win):
            actions.append("quit")
        return actions

    def toggle_fullscreen(self) -> None:
        """Between a window and the whole of the chosen monitor, at the monitor's own mode."""
        glfw = self._glfw
        if self._monitor is None:
            log.warning("no monitor to go full screen on")
            return
        if not self.fullscreen:
            self._windowed_pos = glfw.get_window_pos(self._win)
            self._windowed_size = glfw.get_window_size(self._win)
            mode = glfw.get_video_mode(self._monitor)
            glfw.set_window_monitor(
                self._win, self._monitor, 0, 0, mode.size.width, mode.size.height, mode.refresh_rate
            )
        else:
            glfw.set_window_monitor(self._win, None, *self._windowed_pos, *self._windowed_size, 0)
        self.fullscreen = not self.fullscreen
        self.resized = True

    def set_size(self, size: tuple[int, int]) -> None:
        """Resize the (windowed) window, as a user dragging its corner would."""
        self._glfw.set_window_size(self._win, int(size[0]), int(size[1]))

    def read(self) -> np.ndarray:
        """What the back buffer holds now (call before swap()): [h, w, 3] uint8, top row first."""
        w, h = self.size
        data = self.ctx.screen.read(viewport=(0, 0, w, h), components=3, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1]

    def swap(self) -> None:
        """Show the frame; waits for vsync where the display has one."""
        self._glfw.swap_buffers(self._win)

    def close(self) -> None:
        if self._closed:
            return
        self.ctx.release()
        self._glfw.destroy_window(self._win)
        self._closed = True
        self._glfw.terminate()


class WindowSink:
    """The window as a FrameSink: the engine's output drawn 1:1, the HUD over it (never into other sinks), swap.

    Without vsync (Xvfb, a driver setting) the swap returns at once; the sink then sleeps to the refresh
    rate so the loop does not spin. `last_swap` is the time.monotonic() when the previous swap returned.
    """

    def __init__(self, window: Window, hud=None, hud_lines=None):  # hud: render.hud.Hud; hud_lines() -> [str]
        from livedream.render.present import Presenter

        self.window = window
        self.presenter = Presenter(window.ctx)
        self.hud, self.hud_lines = hud, hud_lines
        self.show_hud = False
        self.hud_in_frame = False  # --record-hud: a HudOverlay already drew it into the frame
        # on_drawn(frame) is called after drawing, before the swap (benchmarks measure there)
        self.on_drawn: Callable[[OutputFrame], None] | None = None
        self.last_swap = time.monotonic()
        self._pace = 1.0 / window.refresh_rate

    def write(self, frame) -> None:  # frame: sinks.base.OutputFrame
        size = self.window.size
        self.presenter.draw(frame.texture, self.window.screen, size)
        if self.show_hud and not self.hud_in_frame and self.hud is not None and self.hud_lines is not None:
            self.hud.set_text(self.hud_lines(), size[1])
            self.hud.draw(self.window.screen, size)
        if self.on_drawn is not None:
            self.on_drawn(frame)
        self.window.swap()
        now = time.monotonic()
        if now - self.last_swap < 0.9 * self._pace:  # no vsync here: do not spin
            time.sleep(self.last_swap + self._pace - now)
            now = time.monotonic()
        self.last_swap = now

    def close(self) -> None:
        self.presenter.release()

    def abort(self) -> None:
        self.presenter.release()
