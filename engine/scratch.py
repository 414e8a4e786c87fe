"""d2l's MLP from scratch (section 5.2): the pieces written out by hand.

With `ModelConfig.from_scratch` the MLP is built from these instead of
nn.Linear, nn.ReLU and torch.optim.SGD. Same seed, same numbers as the concise
model (to float rounding): the point of d2l's two versions is that they are one
computation, and tests check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn


class ReLUByHand(nn.Module):
    """d2l 5.2's relu: max(X, 0), written out."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x, torch.zeros_like(x))


class LinearByHand(nn.Module):
    """d2l 5.2's layer from scratch: explicit parameters W and b, and H = X W^T + b.

    W is stored (out, in) like nn.Linear's, so the state_dict keys and shapes are the
    same and checkpoints, probes and the graph treat both models alike."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.in_features, self.out_features = n_in, n_out
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T + self.bias


class SGDByHand(torch.optim.Optimizer):
    """d2l's sgd: param -= lr * grad, with L2 added to the gradient as d2l 3.7 does
    (lambda * w). A torch Optimizer only for its bookkeeping: parameter groups (L2 on the
    weights alone), live learning-rate changes, and a state_dict for checkpoints."""

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        super().__init__(params, {"lr": lr, "weight_decay": 0.0})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad + group["weight_decay"] * param if group["weight_decay"] else param.grad
                param -= group["lr"] * grad
