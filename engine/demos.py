"""The chapter's small numerical demonstrations, as plain arrays for plotting."""

from __future__ import annotations

import numpy as np
import torch

from engine.model import ACTIVATIONS


def activation_and_derivative(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x), the derivative by autograd as d2l computes it (y.backward(ones))."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = ACTIVATIONS[name]()(t)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), t.grad.numpy()  # type: ignore[union-attr]


def random_matrix_products(factors: int = 100, size: int = 4, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Frobenius norm of M_1 M_2 ... M_k for k = 1..factors, each M with N(0, scale^2) entries:
    d2l's demonstration that deep products explode (or vanish) without care."""
    generator = torch.Generator().manual_seed(seed)
    product = torch.eye(size, dtype=torch.float64)
    norms = np.empty(factors)
    for k in range(factors):
        factor = torch.normal(0.0, scale, (size, size), generator=generator, dtype=torch.float64)
        product = product @ factor
        norms[k] = torch.linalg.matrix_norm(product).item()
    return norms
