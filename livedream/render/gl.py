"""OpenGL plumbing shared by the effect passes: a headless context, shader loading, the full-screen draw."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import moderngl

from livedream.errors import LivedreamError
from livedream.util.resources import data_dir

log = logging.getLogger(__name__)

VERTEX_SHADER = "fullscreen.vert"


def headless_context(software_threads: int | None = None) -> moderngl.Context:
    """A GL 3.3 context with no window (EGL), for export and tests.

    Mesa's llvmpipe provides one on machines without a GPU, so this works on servers too. software_threads
    sets llvmpipe's rasteriser threads (LP_NUM_THREADS, read when the process's first context is made) unless
    the user set them: export asks for 0, drawing on the calling thread, because its generator and encoder
    threads already keep every core busy and llvmpipe's own threads only add hand-offs. A GPU ignores it.
    """
    if software_threads is not None:
        os.environ.setdefault("LP_NUM_THREADS", str(software_threads))
    try:
        # moderngl's stub types each **settings value as a dict; backend takes a str
        ctx = moderngl.create_standalone_context(backend="egl", require=330)  # type: ignore[arg-type]
    except Exception as exc:  # moderngl/glcontext raise plain Exception subclasses that vary by platform
        raise LivedreamError(
            f"no OpenGL: could not create a headless EGL context ({exc}); "
            "install Mesa's EGL drivers (e.g. apt install libegl1 libgl1-mesa-dri) or a GPU driver"
        ) from exc
    log.info("headless GL: %s, %s", ctx.info.get("GL_RENDERER"), ctx.info.get("GL_VERSION"))
    return ctx


def shader_path(name: str) -> Path:
    """The file of shader `name`: a path to a .frag/.vert/.glsl file, or a file name in livedream's shaders/."""
    candidate = Path(name).expanduser()
    if candidate.suffix and candidate.is_file():
        return candidate
    path = data_dir("shaders") / name
    if not path.is_file():
        raise LivedreamError(f"shader not found: {name} (looked for {path})")
    return path


def effect_path(effect: str) -> Path:
    """An effect's fragment shader: `effect` is a built-in name ("contrast") or a path to the user's .frag file."""
    candidate = Path(effect).expanduser()
    if candidate.suffix == ".frag":
        if not candidate.is_file():
            raise LivedreamError(f"effect shader not found: {candidate}")
        return candidate
    path = data_dir("shaders") / f"{effect}.frag"
    if not path.is_file():
        known = sorted(p.stem for p in data_dir("shaders").glob("*.frag") if p.stem != "fit")
        raise LivedreamError(f"unknown effect {effect!r}; built in: {', '.join(known)} (or give a path to a .frag)")
    return path


def effect_name(effect: str) -> str:
    """The key under which an effect's amount is looked up: the file stem for a path, else the name itself."""
    path = Path(effect)
    return path.stem if path.suffix == ".frag" else effect


def compile_program(ctx: moderngl.Context, fragment: Path, vertex: Path | None = None) -> moderngl.Program:
    """`fragment` linked with `vertex` (default: the shared full-screen vertex shader); a GLSL error names the file."""
    vertex = vertex or shader_path(VERTEX_SHADER)
    try:
        return ctx.program(vertex_shader=_source(vertex), fragment_shader=_source(fragment))
    except moderngl.Error as exc:
        detail = " ".join(str(exc).split())  # GL logs span lines; the user gets one
        raise LivedreamError(f"shader {fragment} does not compile: {detail[:300]}") from exc


MAX_SHADER_BYTES = 1 << 20  # GLSL source; a bigger "shader" is some other file


def _source(path: Path) -> str:
    """A shader's text, or one line saying why it cannot be one (unreadable, too big, not UTF-8 text)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SHADER_BYTES + 1)
    except OSError as exc:
        raise LivedreamError(f"shader {path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_SHADER_BYTES:
        raise LivedreamError(f"shader {path}: larger than {MAX_SHADER_BYTES >> 20} MiB; not GLSL source")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LivedreamError(f"shader {path}: not text (GLSL source is UTF-8)") from None


def fullscreen_vao(ctx: moderngl.Context, program: moderngl.Program) -> moderngl.VertexArray:
    """A vertex array with no buffers: fullscreen.vert makes its triangle from gl_VertexID."""
    return ctx.vertex_array(program, [])


def set_uniform(program: moderngl.Program, name: str, value: object) -> None:
    """Set a uniform if the shader declares (and uses) it; user effects may ignore any of the contract."""
    if name in program:
        program[name] = value  # Program.__setitem__ sets .value
