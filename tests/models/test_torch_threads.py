"""torch_threads: an export's CPU generator gets all cores but one while it runs, and the setting comes back."""

from __future__ import annotations

import os

import torch

from livedream.models.builtin import make
from livedream.models.inference import torch_threads


def test_a_cpu_generator_gets_all_cores_but_one_and_the_count_is_restored():
    gen = make(None, resolution=32)
    before = torch.get_num_threads()
    with torch_threads(gen):
        assert torch.get_num_threads() == max(1, (os.cpu_count() or 2) - 1)
    assert torch.get_num_threads() == before
    with torch_threads(gen, 3):
        assert torch.get_num_threads() == 3
    assert torch.get_num_threads() == before
