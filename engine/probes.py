"""Probes: turn one training step's tensors into a Snapshot of plain numpy values.

Histogram ranges are "sticky": each (layer, quantity) keeps a range rounded out
to powers of two that only ever grows, so the same bin means the same value
from one step to the next and a histogram's shape can be compared over time.
NaN and Inf are counted, never binned.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from engine.model import MLP, ForwardRecord, layer_names
from engine.stats import Histogram, LayerProbe, Snapshot

# An activation counts as saturated where its derivative is below 6 % of its peak:
# |tanh| > 0.97 (Karpathy's threshold) and the matching tails of the sigmoid.
SATURATION_DERIVATIVE = 0.06


def _round_up(x: float) -> float:
    """Smallest value of the form +-2^k (or 0) that is >= x."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    if x > 0:
        return 2.0 ** math.ceil(math.log2(x))
    return -(2.0 ** math.floor(math.log2(-x)))


def _round_down(x: float) -> float:
    return -_round_up(-x)


# Histogram edges stop at +-2^100 (1e30), far inside float32's range (3.4e38), which an
# exploding net reaches within a step: the bin arithmetic stays finite.
LARGEST_EDGE = 2.0**100


class Prober:
    def __init__(self, bins: int = 64) -> None:
        self.bins = bins
        self._ranges: dict[tuple[int, str], tuple[float, float]] = {}

    def reset(self) -> None:
        """Forget the sticky ranges (a new model starts on a clean scale)."""
        self._ranges.clear()

    def histogram(self, key: tuple[int, str], values: torch.Tensor) -> Histogram:
        values = values.detach().reshape(-1).float()
        mn, mx = min_max(values)  # NaN propagates, inf shows: a cheap finiteness test
        finite, nonfinite = values, 0
        if not (math.isfinite(mn) and math.isfinite(mx)):  # the masked copy only when there is something to drop
            finite = values[torch.isfinite(values)]
            nonfinite = values.numel() - finite.numel()
            mn, mx = min_max(finite)
        lo, hi = self._sticky_range(key, mn, mx)
        if mn < lo or mx > hi:  # past the +-2^100 cap: into the edge bins
            finite = finite.clamp(lo, hi)
        return Histogram(bin_counts(finite, lo, hi, self.bins), lo, hi, nonfinite)

    def _sticky_range(self, key: tuple[int, str], mn: float, mx: float) -> tuple[float, float]:
        previous = self._ranges.get(key)
        if math.isnan(mn):  # nothing finite to place
            return previous or (0.0, 1.0)
        lo, hi = max(_round_down(mn), -LARGEST_EDGE), min(_round_up(mx), LARGEST_EDGE)
        if previous:
            lo, hi = min(lo, previous[0]), max(hi, previous[1])
        if hi <= lo:  # every value equal: a unit-wide range, not remembered
            return lo, lo + (abs(lo) or 1.0)
        self._ranges[key] = (lo, hi)
        return lo, hi

    @torch.no_grad()
    def capture(
        self,
        model: MLP,
        record: ForwardRecord,
        weights_before: list[torch.Tensor],
        step: int,
        epoch: int,
        loss: float,
        include_weights: bool = False,
    ) -> Snapshot:
        names = layer_names(model)
        last = len(model.layers) - 1
        weights = [linear.weight for linear in model.layers]
        grads = [w.grad for w in weights]
        # Every norm in one call and one copy: weights, weights before the update, the update, gradients.
        changes = torch._foreach_sub(weights, weights_before)
        present = [g for g in grads if g is not None]
        norms = torch.stack(torch._foreach_norm([*weights, *weights_before, *changes, *present])).tolist()
        n = len(weights)
        weight_norms, before_norms, change_norms, present_norms = norms[:n], norms[n : 2 * n], norms[2 * n : 3 * n], iter(norms[3 * n :])
        layers = []
        for i, (w, g) in enumerate(zip(weights, grads)):
            pre, post = record.pre[i], record.post[i]
            is_hidden = i < last
            histograms = {"pre": self.histogram((i, "pre"), pre)}
            # The output layer records its logits as both (no activation): one histogram serves.
            histograms["act"] = histograms["pre"] if post is pre else self.histogram((i, "act"), post)
            histograms["weight"] = self.histogram((i, "weight"), w)
            if g is not None:
                histograms["weight_grad"] = self.histogram((i, "weight_grad"), g)
            if pre.grad is not None:
                histograms["act_grad"] = self.histogram((i, "act_grad"), pre.grad)
            dead = dead_units(post) if is_hidden and model.activation_name == "relu" else None
            saturated = (
                saturated_share(post, model.activation_name)
                if is_hidden and model.activation_name in ("sigmoid", "tanh")
                else None
            )
            unit_mean = post.float().mean(0).cpu().numpy()
            act_mean = float(unit_mean.mean(dtype=np.float64))  # every unit sees the whole batch: the mean of the means
            layers.append(
                LayerProbe(
                    name=names[i],
                    weight_norm=weight_norms[i],
                    grad_norm=next(present_norms) if g is not None else 0.0,
                    update_ratio=change_norms[i] / before_norms[i] if before_norms[i] > 0 else 0.0,
                    dead_fraction=float(dead.mean()) if dead is not None else None,
                    saturated_fraction=float(saturated.mean()) if saturated is not None else None,
                    act_mean=act_mean,
                    act_std=sample_std(post, act_mean),
                    histograms=histograms,
                    unit_mean=unit_mean,
                    unit_dead=dead,
                    unit_saturated=saturated,
                )
            )
        weight_arrays = tuple(w.detach().cpu().numpy().copy() for w in weights) if include_weights else ()
        biases = tuple(layer.bias.detach().cpu().numpy().copy() for layer in model.layers) if include_weights else ()
        return Snapshot(step, epoch, loss, tuple(layers), weight_arrays, biases)


def min_max(values: torch.Tensor) -> tuple[float, float]:
    """The smallest and largest value, NaN for an empty tensor (nothing to place)."""
    if values.numel() == 0:
        return math.nan, math.nan
    mn, mx = torch.aminmax(values)
    return mn.item(), mx.item()


def bin_counts(values: torch.Tensor, lo: float, hi: float, bins: int) -> np.ndarray:
    """Counts of `values` (all finite, inside [lo, hi]) in equal bins over [lo, hi]. Scaling
    then torch.bincount is about four times faster than torch.histc on the CPU, and puts each
    value in the bin histc would: the subtraction comes first, then the scale (one multiply-add
    rounds twice and moved values near an edge one bin over). Values inside the range need no
    clamp: a value at `hi` gets index `bins` and joins the last bin afterwards."""
    if values.numel() == 0:
        return np.zeros(bins, dtype="int64")
    scale = bins / (hi - lo)
    if scale > torch.finfo(values.dtype).max:  # a range of denormal width (values near 1e-40): float32 would make 0 * inf
        values = values.double()
    index = values.sub(lo).mul_(scale).to(torch.int32)  # int32: bincount runs twice as fast as on int64
    counts = torch.bincount(index, minlength=bins + 1).cpu().numpy()
    counts[bins - 1] += counts[bins]
    return counts[:bins]


def sample_std(values: torch.Tensor, mean: float) -> float:
    """The sample standard deviation around a known mean: the two-pass formula, stable, and
    twice as fast as torch.std's single-pass Welford on the CPU."""
    n = values.numel()
    return torch.linalg.vector_norm(values.float() - mean).item() / math.sqrt(n - 1) if n > 1 else 0.0


def dead_units(post: torch.Tensor) -> np.ndarray:
    """Per unit: zero for every sample of the batch, so it passes no gradient (its largest
    value is at most zero: one reduction, seven times faster than comparing every value)."""
    return (post.amax(dim=0) <= 0).cpu().numpy()


def saturated_share(post: torch.Tensor, activation: str) -> np.ndarray:
    """Per unit: share of the batch's activations where the activation's derivative is nearly zero."""
    if activation == "sigmoid":
        derivative = 4 * post * (1 - post)  # s(1-s), scaled so its peak is 1
    else:
        derivative = 1 - post * post  # tanh' = 1 - tanh^2, peak 1
    return (derivative < SATURATION_DERIVATIVE).float().mean(0).cpu().numpy()
