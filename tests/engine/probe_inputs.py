"""What a snapshot is taken from, built small and by hand: shared by the CPU and CUDA probe tests."""

from __future__ import annotations

import torch

from engine.config import ModelConfig
from engine.model import MLP, ForwardRecord, build_model


def snapshot_inputs(activation: str) -> tuple[MLP, ForwardRecord, list[torch.Tensor]]:
    """A 6-5-4-3 model after one backward pass on a random batch of 32, its forward record,
    and copies of its weights (as before an update)."""
    model = build_model(6, 3, ModelConfig(hidden=(5, 4), activation=activation, init="he", init_scale=1.0))
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    record = ForwardRecord([], [])
    torch.nn.functional.cross_entropy(model(x, record), y).backward()
    return model, record, [layer.weight.detach().clone() for layer in model.layers]
