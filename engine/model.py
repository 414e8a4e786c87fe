"""The MLP: Linear layers with one shared activation, optional batch norm and dropout.

The forward pass is written out (not an nn.Sequential) so that the activation
and the dropout rate can be swapped while training, and so that probes can ask
for the intermediate tensors without hooks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

from engine.config import ModelConfig
from engine.errors import ConfigError
from engine.numbers import significant
from engine.scratch import LinearByHand, ReLUByHand

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


@dataclass
class ForwardRecord:
    """Intermediate tensors of one forward pass, per Linear layer (input to output)."""

    pre: list[torch.Tensor]  # Linear outputs; their .grad is dLoss/d(pre-activation)
    post: list[torch.Tensor]  # after activation (the output layer: the logits themselves)

    def add(self, pre: torch.Tensor, post: torch.Tensor) -> None:
        if pre.requires_grad:  # keep dLoss/dpre for the gradient histograms (not under no_grad)
            pre.retain_grad()
        self.pre.append(pre)
        self.post.append(post)


class MLP(nn.Module):
    def __init__(self, n_in: int, n_out: int, cfg: ModelConfig) -> None:
        super().__init__()
        sizes = [n_in, *cfg.hidden, n_out]
        layer = LinearByHand if cfg.from_scratch else nn.Linear
        self.layers = nn.ModuleList(layer(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(n) if cfg.batch_norm else nn.Identity() for n in cfg.hidden)
        self.from_scratch = cfg.from_scratch
        self.set_activation(cfg.activation)
        self.dropout = cfg.dropout
        # Dropout masks come from the model's own generator (not torch's global one),
        # so two models training side by side stay reproducible, and a checkpoint can
        # carry the exact random stream.
        self.dropout_generator: torch.Generator | None = None

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].in_features] + [layer.out_features for layer in self.layers]

    def set_activation(self, name: str) -> None:
        self.activation_name = name
        by_hand = self.from_scratch and name == "relu"
        self.activation = ReLUByHand() if by_hand else ACTIVATIONS[name]()

    def set_dropout(self, p: float) -> None:
        self.dropout = p

    def _drop(self, h: torch.Tensor) -> torch.Tensor:
        """d2l's dropout_layer: zero each unit with probability p, scale the rest by 1/(1-p)."""
        if not self.training or self.dropout == 0.0:
            return h
        keep = torch.rand(h.shape, device=h.device, generator=self.dropout_generator) > self.dropout
        return h * keep / (1.0 - self.dropout)

    def forward(self, x: torch.Tensor, record: ForwardRecord | None = None) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, linear in enumerate(self.layers):
            z = linear(x)
            if i == last:
                if record is not None:
                    record.add(z, z)
                return z
            h = self.activation(self.norms[i](z))
            if record is not None:
                record.add(z, h)
            x = self._drop(h)
        raise AssertionError("an MLP has at least one layer")


# Training holds each parameter about five times over (weights, gradients, the weights before a
# probed step, and the optimizer's one or two states) and each activation three times (before and
# after the activation, and its gradient).
PARAMETER_COPIES = 5
ACTIVATION_COPIES = 3
FLOAT32_BYTES = 4


def check_fits_in_memory(sizes: tuple[int, ...], batch: int, device: torch.device) -> None:
    """Refuse, in words, a network whose training would not fit in the machine's memory: a hidden
    layer of a billion units (784-1000000000-10) ended in a traceback from torch's allocator."""
    total = machine_memory(device)
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    needed = FLOAT32_BYTES * (PARAMETER_COPIES * parameters + ACTIVATION_COPIES * batch * sum(sizes[1:]))
    if total is not None and needed > total:
        machine = "GPU" if device.type == "cuda" else "machine"
        raise ConfigError(
            f"{'-'.join(map(str, sizes))} has {parameters:,} parameters: training it needs about "
            f"{gigabytes(needed)} of memory, more than the {gigabytes(total)} this {machine} has; choose fewer or smaller hidden layers"
        )


def machine_memory(device: torch.device) -> int | None:
    """Bytes of memory on `device`: the GPU's, or the machine's physical memory (None where the
    system does not say)."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return None


def gigabytes(size: int) -> str:
    """'23.5 GB', '1,746 GB'."""
    gb = size / 2**30
    return f"{round(gb):,} GB" if gb >= 100 else f"{significant(gb)} GB"


def build_model(n_in: int, n_out: int, cfg: ModelConfig, generator: torch.Generator | None = None) -> MLP:
    model = MLP(n_in, n_out, cfg)
    initialize(model, cfg.init, cfg.init_scale, generator)
    return model


@torch.no_grad()
def initialize(model: MLP, scheme: str, scale: float, generator: torch.Generator | None = None) -> None:
    """Weights by `scheme` times `scale`; biases zero (as d2l).

    normal: N(0, scale^2) -- d2l's 0.01. xavier: Glorot normal. he: Kaiming normal for ReLU.
    constant: every weight equal to `scale`, so every unit of a layer starts as a copy of the others
    (d2l's "breaking the symmetry": gradient descent alone keeps them copies; dropout breaks it).
    """
    for linear in model.layers:
        w = linear.weight
        if scheme == "normal":
            nn.init.normal_(w, 0.0, scale, generator=generator)
        elif scheme == "xavier":
            nn.init.xavier_normal_(w, gain=scale, generator=generator)
        elif scheme == "he":
            nn.init.kaiming_normal_(w, nonlinearity="relu", generator=generator)
            w.mul_(scale)
        elif scheme == "constant":
            nn.init.constant_(w, scale)
        else:
            raise ValueError(f"unknown init scheme {scheme!r}")
        nn.init.zeros_(linear.bias)
    for norm in model.norms:
        if isinstance(norm, nn.BatchNorm1d):
            norm.reset_parameters()


def layer_names(model: MLP) -> list[str]:
    """Stable, readable names, input to output: 'L1 784→256', ..."""
    return [f"L{i + 1} {layer.in_features}→{layer.out_features}" for i, layer in enumerate(model.layers)]


def weight_parameters(model: MLP) -> list[nn.Parameter]:
    """Linear weights only: what L2 and L1 penalise (biases and batch-norm parameters are left alone, as d2l)."""
    return [layer.weight for layer in model.layers]
