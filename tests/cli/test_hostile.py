"""What a new user's command lines did: outputs onto inputs and presets, nan and huge numbers, unknown flags,
missing folders; and the rough edges (progress, help, NTSC rates, `still` with the built-in style)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.cli.main import build_parser, main
from livedream.cli.options import parse_fps
from livedream.modes.stats import LiveStats
from livedream.util.progress import ProgressBar
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("song") / "tone.wav"
    t = np.arange(22050) / 22050
    write_audio(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None].repeat(2, 1), 22050)
    return path


def _one_line(capsys, *args) -> str:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (code, err)
    return err


@pytest.mark.parametrize("flag", ["--json", "--plot"])
def test_analyze_never_writes_over_its_song_or_a_preset(tmp_path, song, capsys, flag):
    own = tmp_path / song.name
    shutil.copy(song, own)
    preset = tmp_path / "mine.yaml"
    preset.write_text("speed_fpm: 20\n")
    before = own.read_bytes()
    assert "would overwrite the input" in _one_line(capsys, "analyze", own, flag, own)
    assert "would overwrite the input" in _one_line(capsys, "analyze", own, "--preset", preset, flag, preset)
    assert "is a preset file" in _one_line(capsys, "analyze", own, flag, preset)
    assert "directory" in _one_line(capsys, "analyze", own, flag, tmp_path / "nope" / "x")
    assert own.read_bytes() == before and preset.read_text() == "speed_fpm: 20\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml", song.name]


def test_analyze_says_what_it_wrote(tmp_path, song, capsys):
    assert main(["analyze", str(song), "--json", str(tmp_path / "a.json"), "--duration", "0.5"]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'a.json'}\n"
    assert "--json" in _one_line(capsys, "analyze", song, "--json", tmp_path / "b", "--plot", tmp_path / "b")


def test_live_outputs_are_checked_before_anything_opens(tmp_path, capsys):
    preset = tmp_path / "show.yaml"
    preset.write_text("speed_fpm: 20\n")
    # Item 10: the stats file pointed at the preset in use (and at any preset, and at the recording).
    assert "would overwrite the input" in _one_line(capsys, "live", "--preset", preset, "--stats-file", preset)
    other = tmp_path / "other.yaml"
    other.write_text("speed_fpm: 30\n")
    assert "is a preset file" in _one_line(capsys, "live", "--stats-file", other)
    assert "is a preset file" in _one_line(capsys, "live", "--record", other)
    rec = tmp_path / "r.mp4"
    assert "the same file as --record" in _one_line(capsys, "live", "--record", rec, "--stats-file", rec)
    assert preset.read_text() == "speed_fpm: 20\n" and other.read_text() == "speed_fpm: 30\n"
    # Item 18, and the other numbers live takes.
    assert "1 to 65535" in _one_line(capsys, "live", "--osc-port", "0")
    assert "argument --duration" in _one_line(capsys, "live", "--duration", "nan")
    assert "normalize" in _one_line(capsys, "live", "--normalize", "global")  # not offered at all now


def test_the_stats_file_logs_and_carries_on_when_the_disk_is_full(caplog):
    stats = LiveStats("/dev/full")  # every write fails with ENOSPC, as on a full disk
    for i in range(5):
        stats.frame(at=float(i))
        rec = stats.flush(float(i + 1), 0.1, 0, 0, {"speed_fpm": 12.0})
        assert rec["frames"] == i + 1  # the HUD's numbers go on
    stats.close()
    errors = [r for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(errors) == 1 and "No space left on device" in errors[0].getMessage()


def test_docs_writes_to_stdout_or_to_the_file_given(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no docs/ folder here
    assert main(["docs", "osc"]) == 0
    assert capsys.readouterr().out.startswith("#") and list(tmp_path.iterdir()) == []
    assert main(["docs", "osc", "-o", "osc.md"]) == 0
    assert (tmp_path / "osc.md").read_text().startswith("#") and "wrote osc.md" in capsys.readouterr().out
    assert "does not exist" in _one_line(capsys, "docs", "osc", "-o", "docs/osc.md")
    (tmp_path / "p.yaml").write_text("speed_fpm: 1\n")
    assert "is a preset file" in _one_line(capsys, "docs", "touchosc", "-o", "p.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["osc.md", "p.yaml"]


@pytest.mark.parametrize(
    "args,expect",
    [(["--start", "nan"], "argument --start: 'nan': expected a finite number"),
     (["--duration", "nan"], "argument --duration: 'nan': expected a finite number"),
     (["--duration", "0"], "expected a number of seconds above 0"),
     (["--seed", "-1"], "argument --seed: '-1': expected a whole number from 0 to 4294967295"),
     (["--seed", "1234567890123456789012345"], "expected a whole number from 0 to 4294967295"),
     (["--model-resolution", "8"], "--model-resolution 8: the built-in style renders at 16 to"),
     (["--device", "meta"], "--torch-device meta: livedream renders on cpu"),
     (["--torch-device", "cuda:7"], "--torch-device cuda:7: "),
     (["--pulse-react", "11"], "--pulse-react 11: not allowed; expected a number in [0, 10]"),
     (["--bogus"], "livedream export: error: unrecognized arguments: --bogus (see livedream export --help)")],
)  # fmt: skip
def test_bad_export_arguments_are_one_line(tmp_path, song, capsys, args, expect):
    err = _one_line(capsys, "export", song, "-o", tmp_path / "o.mp4", "-q", "--size", "32x32", *args)
    assert expect in err and not err.startswith("livedream: error: livedream"), err
    assert list(tmp_path.iterdir()) == []


def test_export_at_29_97_is_ntsc_exactly(tmp_path, song, capsys):
    assert parse_fps("29.97") == Fraction(30000, 1001) and parse_fps("23.976") == Fraction(24000, 1001)
    assert parse_fps("59.94") == Fraction(60000, 1001) and parse_fps("2997/100") == Fraction(2997, 100)
    assert parse_fps("25") == 25 and parse_fps("12.5") == Fraction(25, 2)
    out = tmp_path / "ntsc.mp4"
    assert (
        main(["export", str(song), "-o", str(out), "-q", "--size", "32x32", "--duration", "0.3", "--fps", "29.97"]) == 0
    )
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == Fraction(30000, 1001)


def test_verbose_works_after_the_subcommand_and_help_tells_the_defaults(capsys):
    args = build_parser().parse_args(["presets", "-v"])
    assert args.verbose is True and build_parser().parse_args(["presets"]).verbose is False

    def help_of(command: str) -> str:
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        return " ".join(capsys.readouterr().out.split())

    export = help_of("export")
    assert "default contain" in export and "(default 4)" in export and "(default superflux)" in export
    demo = help_of("demo")
    assert "frames per second, exactly" in demo and "-q, --quiet no progress bar" in demo
    assert "analyse only this many seconds" in help_of("analyze")
    assert "--normalize" not in help_of("live")


def test_the_first_progress_report_claims_no_rate():
    out = io.StringIO()
    bar = ProgressBar(100, stream=out)
    bar.update(4)  # the first batch: its time includes loading the model and the audio
    first = out.getvalue()
    assert "... fps" in first and "ETA -:--:--" in first
    time.sleep(0.25)
    bar.update(14)  # 10 frames in ~0.25 s
    rate = float(out.getvalue().splitlines()[-1].split("frames")[1].split("fps")[0])
    assert 10 <= rate <= 45, out.getvalue()


def test_still_with_the_builtin_style_needs_no_class(tmp_path, capsys):
    assert main(["still", "--seeds", "3", "--outdir", str(tmp_path), "--model-resolution", "32"]) == 0
    assert (tmp_path / "seed0003.png").stat().st_size > 100


@pytest.mark.needs("jackd", "jack_lsp")
def test_no_display_is_one_line_without_a_glfw_warning(tmp_path):
    from tests.helpers import live_harness as h

    with h.jackd() as server:
        env = {k: v for k, v in h.jack_env(server).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        proc = subprocess.run(
            [sys.executable, "-m", "livedream", "live", "--no-osc", "--duration", "1"],
            env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot open a window: no display" in proc.stderr and "GLFWError" not in proc.stderr
    assert not os.listdir(tmp_path)


def test_still_refuses_a_truncation_that_is_no_picture(tmp_path, capsys):
    for psi in ("nan", "1e300"):
        assert "argument --trunc" in _one_line(capsys, "still", "--seeds", "1", "--outdir", tmp_path, "--trunc", psi)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.gl
def test_a_shader_that_is_not_text_is_one_line(tmp_path, song, capsys):
    binary = tmp_path / "noise.frag"
    binary.write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "o.mp4"
    err = _one_line(capsys, "export", song, "-o", out, "-q", "--size", "32x32", "--effect", binary)
    assert "not text" in err and not out.exists()


def test_the_lsd_api_refuses_nan_and_writing_over_its_song(tmp_path, song):
    from livedream.errors import LivedreamError
    from livedream.lsd import LucidSonicDream

    own = tmp_path / "clip.mp4"
    write_audio(own, np.zeros((22050, 2), np.float32), 22050)
    before = own.read_bytes()
    dream = LucidSonicDream(str(own))
    with pytest.raises(LivedreamError, match="would overwrite the input"):
        dream.hallucinate(str(own))
    for kwargs in ({"start": float("nan")}, {"duration": float("inf")}, {"seed": -1}):
        with pytest.raises(LivedreamError, match="finite number|seed must be"):
            dream.hallucinate(str(tmp_path / "o.mp4"), **kwargs)
    assert own.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_the_analysis_plot_has_axis_labels_and_colour_bars(tmp_path, song, monkeypatch, capsys):
    from matplotlib.figure import Figure

    saved: list[Figure] = []
    real_savefig = Figure.savefig

    def keep(fig, *args, **kwargs):
        saved.append(fig)
        return real_savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    out = tmp_path / "a.png"
    assert main(["analyze", str(song), "--plot", str(out), "--duration", "0.5"]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n" and out.stat().st_size > 10_000
    panels = [ax for ax in saved[0].axes if ax.get_title()]
    assert len(panels) == 6 and all(ax.get_ylabel() for ax in panels) and panels[-1].get_xlabel() == "time (s)"
    bars = [child.get_ylabel() for ax in panels for child in ax.child_axes]
    assert bars == ["energy", "energy", "weight"]  # the chroma's, the bass chroma's and the class mix's colour bars
