"""Speed options for StyleGAN2 on CUDA: channels-last, the form of the modulated convolution, CUDA graphs, compile.

Each is off by default until bench/gpu has measured it on a GPU (bench/gpu/NOTES.md); each gives the
same pictures as the default within floating-point rounding (tests/test_stylegan2_speed.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.network import MODCONV_MODES

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


@dataclass(frozen=True)
class SpeedOptions:
    """How the synthesis network runs; the defaults are the plain eager network, NVIDIA's way."""

    channels_last: bool = False  # NHWC feature maps: tensor-core convolutions without layout shuffles
    modconv: str = "auto"  # one of MODCONV_MODES: grouped per-sample weights, scaled activations, or NVIDIA's mix
    cuda_graph: bool = False  # capture synthesis once per batch size and replay it: no per-op launch cost
    compile_mode: str | None = None  # a torch.compile mode for synthesis (None: eager)

    def check(self, device: torch.device) -> None:
        """One clear error for an option that cannot work here."""
        if self.modconv not in MODCONV_MODES:
            raise LivedreamError(f"modconv {self.modconv!r} is not one of {', '.join(MODCONV_MODES)}")
        if self.compile_mode is not None and self.compile_mode not in COMPILE_MODES:
            raise LivedreamError(f"compile mode {self.compile_mode!r} is not one of {', '.join(COMPILE_MODES)}")
        if self.cuda_graph and device.type != "cuda":
            raise LivedreamError(f"CUDA graphs need a CUDA device; the generator runs on {device}")
        if self.cuda_graph and self.compile_mode in ("reduce-overhead", "max-autotune"):
            raise LivedreamError(f"compile mode {self.compile_mode!r} makes its own CUDA graphs; drop cuda_graph")


class GraphedCall:
    """Replays one captured CUDA graph per key (input shape and whatever else changes the work).

    The first call with a new key warms fn up on a side stream, then captures it; later calls copy the
    input into the captured buffer, replay, and return a copy of the output (the graph's own output
    buffer is overwritten by the next replay). fn must do device work only: no host syncs, no copies
    from the host (capture refuses them).
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], warmup: int = 2) -> None:
        self.fn = fn
        self.warmup = warmup
        self._graphs: dict[Hashable, tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor, key: Hashable = None) -> torch.Tensor:
        full_key = (tuple(x.shape), x.dtype, x.device, key)
        with torch.inference_mode():  # the captured buffers are inference tensors
            entry = self._graphs.get(full_key)
            if entry is None:
                entry = self._graphs[full_key] = self._capture(x)
            graph, static_in, static_out = entry
            static_in.copy_(x)
            graph.replay()
            return static_out.clone()

    def _capture(self, x: torch.Tensor) -> tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]:
        static_in = x.clone()
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):  # warm-up off the main stream, as torch's graph docs ask
            for _ in range(self.warmup):
                self.fn(static_in)
        torch.cuda.current_stream(x.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = self.fn(static_in)
        return graph, static_in, static_out

    def clear(self) -> None:
        """Forget every captured graph (and its memory pool)."""
        self._graphs.clear()
