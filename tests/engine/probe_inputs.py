"""What a snapshot is taken from, built small and by hand: shared by the CPU and CUDA probe tests,
and the probes of a net whose first layers cannot learn, for the diagnosis and its panel."""

from __future__ import annotations

import torch

from engine.config import Config, ModelConfig
from engine.model import MLP, ForwardRecord, build_model
from engine.stats import Snapshot
from engine.trainer import Trainer


def snapshot_inputs(activation: str) -> tuple[MLP, ForwardRecord, list[torch.Tensor]]:
    """A 6-5-4-3 model after one backward pass on a random batch of 32, its forward record,
    and copies of its weights (as before an update). Seeded: drawn from torch's global generator,
    the numbers depended on the tests run before, and in one draw of four L1's units had means so
    close that each unit's spread over the batch (n - 1 = 31) came out above the layer's (159)."""
    generator = torch.Generator().manual_seed(0)
    model = build_model(6, 3, ModelConfig(hidden=(5, 4), activation=activation, init="he", init_scale=1.0), generator)
    x, y = torch.randn(32, 6, generator=generator), torch.randint(0, 3, (32,), generator=generator)
    record = ForwardRecord([], [])
    torch.nn.functional.cross_entropy(model(x, record), y).backward()
    return model, record, [layer.weight.detach().clone() for layer in model.layers]


def frozen_net_probes(steps: int) -> list[Snapshot]:
    """Probes of a deep sigmoid net with tiny weights (Xavier at 0.01) on the spiral, one per step:
    its gradients shrink about a thousandfold a layer back from the output."""
    config = Config().with_changes(
        data={"name": "spiral"},
        model={"hidden": (16,) * 6, "activation": "sigmoid", "init": "xavier", "init_scale": 0.01},
        train={"batch_size": 10},
        probes={"every": 1},
    )
    trainer = Trainer(config)
    return [trainer.inspect()] + [next(e for e in trainer.train_step(probe=True) if isinstance(e, Snapshot)) for _ in range(steps)]
