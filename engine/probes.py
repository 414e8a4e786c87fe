"""Probes: turn one training step's tensors into a Snapshot of plain numpy values.

Histogram ranges are "sticky": each (layer, quantity) keeps a range rounded out
to powers of two that only ever grows, so the same bin means the same value
from one step to the next and a histogram's shape can be compared over time.
NaN and Inf are counted, never binned.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import torch

from engine.cuda_graph import buffers_kept
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


Key = tuple[int, str]  # (layer index, histogram kind)


class Prober:
    """Histograms and statistics of one step. On an accelerator the host waits on the device
    twice per snapshot, not once per number: once for every minimum, maximum and norm (the bins
    are placed on the host), once for every count and statistic, in one small copy each."""

    def __init__(self, bins: int = 64) -> None:
        self.bins = bins
        self._ranges: dict[Key, tuple[float, float]] = {}

    def reset(self, ranges: dict[Key, tuple[float, float]] | None = None) -> None:
        """Start from `ranges` (an opened checkpoint's last probe: its run goes on binning as
        before), or from none (a new model starts on a clean scale)."""
        self._ranges = dict(ranges or {})

    def forget(self, kind: str) -> None:
        """Every layer's range of `kind` starts afresh: after a live switch from ReLU to sigmoid the
        activations, now within [0, 1], filled a quarter of the [0, 4] ReLU had reached. The
        views over time still compare them: they re-bin older probes onto the widest range."""
        self._ranges = {key: span for key, span in self._ranges.items() if key[1] != kind}

    def histogram(self, key: Key, values: torch.Tensor) -> Histogram:
        """One tensor's histogram on its own (a snapshot bins all of its tensors together)."""
        flat = flat_float(values)
        slots, [(lo, hi, nonfinite)] = self._bin_all({key: flat}, list(min_max(flat)))
        return Histogram(fold_top_slot(slots.cpu().numpy())[0], lo, hi, nonfinite)

    def _bin_all(self, sources: dict[Key, torch.Tensor], minmax: list[float]) -> tuple[torch.Tensor, list[tuple[float, float, int]]]:
        """Each source's bin slots (a row each, on its device), and its range and non-finite count,
        given every source's minimum and maximum side by side (NaN and inf included)."""
        prepared, ranges = [], []
        for (key, values), mn, mx in zip(sources.items(), minmax[0::2], minmax[1::2]):
            nonfinite = 0
            if not (math.isfinite(mn) and math.isfinite(mx)):  # the masked copy (a wait, off the CPU) only when there is something to drop
                finite = values[torch.isfinite(values)]
                nonfinite = values.numel() - finite.numel()
                values = finite
                mn, mx = min_max(finite)
            lo, hi = self._sticky_range(key, mn, mx)
            if mn < lo or mx > hi:  # past the +-2^100 cap: into the edge bins
                values = values.clamp(lo, hi)
            prepared.append(values)
            ranges.append((lo, hi, nonfinite))
        return bin_slots(prepared, [(lo, hi) for lo, hi, _ in ranges], self.bins), ranges

    def _sticky_range(self, key: Key, mn: float, mx: float) -> tuple[float, float]:
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
        dead_judged_on: torch.Tensor | None = None,
    ) -> Snapshot:
        """The snapshot of a step whose forward pass `record` holds; dead units are judged over
        the inputs `dead_judged_on` where given (the batch's activations otherwise)."""
        names = layer_names(model)
        weights = [linear.weight for linear in model.layers]
        grads = [w.grad for w in weights]
        sources = histogram_sources(record, weights)
        # First wait: every min and max (to place the bins) and every norm (weights, weights
        # before the update, the update, gradients), in one copy.
        changes = torch._foreach_sub(weights, weights_before)
        present = [g for g in grads if g is not None]
        norms = torch._foreach_norm([*weights, *weights_before, *changes, *present])
        scalars = torch.stack([*extremes(list(sources.values())), *norms]).tolist()
        slots, ranges = self._bin_all(sources, scalars[: 2 * len(sources)])
        n = len(weights)
        norm_values = scalars[2 * len(sources) :]
        weight_norms, before_norms, change_norms = norm_values[:n], norm_values[n : 2 * n], norm_values[2 * n : 3 * n]
        present_norms = iter(norm_values[3 * n :])
        # Second wait: every count and statistic, in one copy.
        judged = layer_activations(model, dead_judged_on) if dead_judged_on is not None else record.post
        host = to_host({"slots": slots, **layer_statistics(model, record, include_weights, judged)})
        histograms: list[dict[str, Histogram]] = [{} for _ in weights]
        for (layer, kind), counts, (lo, hi, nonfinite) in zip(sources, fold_top_slot(host["slots"]), ranges):
            histograms[layer][kind] = Histogram(counts, lo, hi, nonfinite)
        layers = []
        for i, g in enumerate(grads):
            histograms[i].setdefault("act", histograms[i]["pre"])  # the output layer's logits: one histogram serves both
            unit_mean, dead, saturated = host[i, "unit_mean"], host.get((i, "dead")), host.get((i, "saturated"))
            with np.errstate(invalid="ignore"):  # units at +inf and -inf (a diverged layer): NaN, as the readouts show
                act_mean = float(unit_mean.mean(dtype=np.float64))  # every unit sees the whole batch: the mean of the means
            act_std, unit_std = spreads(float(host[i, "within"]), unit_mean, act_mean, record.post[i].numel())
            layers.append(
                LayerProbe(
                    name=names[i],
                    weight_norm=weight_norms[i],
                    grad_norm=next(present_norms) if g is not None else 0.0,
                    update_ratio=change_norms[i] / before_norms[i] if before_norms[i] > 0 else 0.0,
                    dead_fraction=float(dead.mean()) if dead is not None else None,
                    saturated_fraction=float(saturated.mean()) if saturated is not None else None,
                    act_mean=act_mean,
                    act_std=act_std,
                    histograms=histograms[i],
                    unit_mean=unit_mean,
                    unit_dead=dead,
                    unit_saturated=saturated,
                    unit_std=unit_std,
                )
            )
        weight_arrays = tuple(host[i, "weight"] for i in range(n)) if include_weights else ()
        biases = tuple(host[i, "bias"] for i in range(n)) if include_weights else ()
        return Snapshot(step, epoch, loss, tuple(layers), weight_arrays, biases)


def histogram_sources(record: ForwardRecord, weights: list[torch.Tensor]) -> dict[Key, torch.Tensor]:
    """Every tensor a snapshot histograms, flat and float, by (layer, kind). The output layer
    records its logits as both pre and post (no activation): it gets no separate "act"."""
    sources: dict[Key, torch.Tensor] = {}
    for i, (pre, post, w) in enumerate(zip(record.pre, record.post, weights)):
        sources[i, "pre"] = flat_float(pre)
        if post is not pre:
            sources[i, "act"] = flat_float(post)
        sources[i, "weight"] = flat_float(w)
        if w.grad is not None:
            sources[i, "weight_grad"] = flat_float(w.grad)
        if pre.grad is not None:
            sources[i, "act_grad"] = flat_float(pre.grad)
    return sources


def layer_statistics(
    model: MLP, record: ForwardRecord, include_weights: bool, judged: list[torch.Tensor]
) -> dict[tuple[int, str], torch.Tensor]:
    """Per layer, on the device: each unit's mean, the spread of each unit around its own mean
    (the root sum of squares over the layer: `spreads` derives both standard deviations from
    it), saturated units, dead units (judged on the activations `judged`), and the weights when
    asked for."""
    hidden = len(model.layers) - 1
    activation = model.activation_name
    statistics: dict[tuple[int, str], torch.Tensor] = {}
    for i, (post, linear) in enumerate(zip(record.post, model.layers)):
        post = post.detach().float()
        unit_mean = post.mean(0)
        statistics[i, "unit_mean"] = unit_mean
        # Two passes around a known mean: stable, and twice as fast as torch.std on the CPU.
        statistics[i, "within"] = torch.linalg.vector_norm(post - unit_mean)
        if i < hidden and activation == "relu":
            statistics[i, "dead"] = dead_units(judged[i])
        if i < hidden and activation in ("sigmoid", "tanh"):
            statistics[i, "saturated"] = saturated_share(post, activation)
        if include_weights:
            statistics[i, "weight"] = linear.weight
            statistics[i, "bias"] = linear.bias
    return statistics


def spreads(within: float, unit_mean: np.ndarray, act_mean: float, samples: int) -> tuple[float, float]:
    """(standard deviation of all the layer's activations, root mean square of each unit's own
    over the batch) from `within`, the root sum of squares of every activation around its
    unit's mean. The second says how much the units respond to the input: small-init layers
    pass a signal that shrinks layer by layer until the output no longer depends on the input.
    The first adds the spread between the units' means (the sum of squares splits exactly so)."""
    units = unit_mean.size
    per_unit = samples // units if units else 0
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged layer's inf and NaN: NaN, as the readouts show
        between = per_unit * float(np.square(unit_mean - act_mean, dtype=np.float64).sum())
    act_std = math.sqrt((within * within + between) / (samples - 1)) if samples > 1 else 0.0
    unit_std = within / math.sqrt(samples - units) if per_unit > 1 else 0.0
    return act_std, unit_std


def flat_float(values: torch.Tensor) -> torch.Tensor:
    return values.detach().reshape(-1).float()


def extremes(values: list[torch.Tensor]) -> list[torch.Tensor]:
    """Each tensor's minimum and maximum in turn, as scalars on their device, to be stacked with
    other numbers for one copy: NaN propagates and inf shows, a finiteness test for free; an
    empty tensor gives NaN (nothing to place)."""
    scalars: list[torch.Tensor] = []
    for v in values:
        scalars += torch.aminmax(v) if v.numel() else [v.new_full((), math.nan)] * 2
    return scalars


def min_max(values: torch.Tensor) -> tuple[float, float]:
    """The smallest and largest value, NaN for an empty tensor (nothing to place)."""
    mn, mx = torch.stack(extremes([values])).tolist()
    return mn, mx


def bin_slots(sources: list[torch.Tensor], ranges: list[tuple[float, float]], bins: int) -> torch.Tensor:
    """Counts of each source (all finite, inside its [lo, hi]) in equal bins over its range:
    a row of bins + 1 slots each, on their device. Values equal to `hi` get slot `bins`, and
    `fold_top_slot` adds them to the last bin on the host (no clamp pass). Scaling then counting
    is about four times faster than torch.histc on the CPU."""
    if sources[0].device.type != "cpu":
        return bin_slots_together(sources, ranges, bins)
    rows = [torch.bincount(bin_index(values, lo, hi, bins), minlength=bins + 1) for values, (lo, hi) in zip(sources, ranges)]
    return torch.stack(rows)


def bin_index(values: torch.Tensor, lo: float, hi: float, bins: int) -> torch.Tensor:
    """Each value's bin. As int8 where the bin numbers fit: bincount counts bytes fastest, and
    a float casts to int8 as fast as to int32 (to uint8 eight times slower). The subtraction
    comes first, then the scale, as in torch.histc, so each value lands in the bin histc
    gives it (one multiply-add rounds twice and moved values near an edge one bin over)."""
    scale = bins / (hi - lo)
    index_type = torch.int8 if bins <= torch.iinfo(torch.int8).max else torch.int32
    return precise_enough(values, scale).sub(lo).mul_(scale).to(index_type)


def precise_enough(values: torch.Tensor, scale: float) -> torch.Tensor:
    """`values` in a type that can hold `scale`: in float64 for a range of denormal width
    (values near 1e-40), where float32 would make the scale inf and the bins 0 * inf."""
    return values.double() if scale > torch.finfo(values.dtype).max else values


def bin_slots_together(sources: list[torch.Tensor], ranges: list[tuple[float, float]], bins: int) -> torch.Tensor:
    """`bin_slots` for every source in the same eight calls, not in calls of its own: on a GPU
    each call is a kernel launched from Python, and the launches were the probe's cost
    (README, Benchmark). On the CPU the one large copy this makes costs more than it saves.
    The arithmetic is `bin_index`'s; the bin numbers are whole before each source's row
    offset is added, so the offset adds exactly."""
    slots = bins + 1
    scales = [bins / (hi - lo) for lo, hi in ranges]
    sources = [precise_enough(v, scale) for v, scale in zip(sources, scales)]
    scaled = torch._foreach_sub(sources, [lo for lo, _ in ranges])
    torch._foreach_mul_(scaled, scales)
    torch._foreach_floor_(scaled)
    torch._foreach_add_(scaled, [float(row * slots) for row in range(len(sources))])
    index = torch.cat(scaled).to(torch.int32)
    return count_by_scatter(index, len(sources) * slots).view(len(sources), slots)


def count_by_scatter(index: torch.Tensor, slots: int) -> torch.Tensor:
    """How often each of `slots` indices occurs. torch.bincount reads its input's minimum and
    maximum back to the host, a wait on an accelerator; index_add_ does not (on the CPU
    bincount is twice as fast, and used instead)."""
    ones = torch.ones_like(index, dtype=torch.int64)
    return torch.zeros(slots, dtype=torch.int64, device=index.device).index_add_(0, index, ones)


def fold_top_slot(slots: np.ndarray) -> np.ndarray:
    """Rows of bins + 1 slots to rows of bins: the values at exactly `hi` belong to the last bin."""
    counts = slots[..., :-1].copy()
    counts[..., -1] += slots[..., -1]
    return counts


def to_host(parts: dict[Hashable, torch.Tensor]) -> dict[Hashable, np.ndarray]:
    """Numpy copies of small tensors (copies: the model keeps changing in place). From an
    accelerator in one transfer, since each .cpu() would make the host wait on the device."""
    if all(t.device.type == "cpu" for t in parts.values()):
        return {key: t.detach().numpy().copy() for key, t in parts.items()}
    return packed_to_host(parts)


def packed_to_host(parts: dict[Hashable, torch.Tensor]) -> dict[Hashable, np.ndarray]:
    """`to_host` in one copy: every tensor as float64 (exact for float32, bool and counts
    below 2^53) in one buffer, cut apart and given its own dtype back on the host."""
    flat = torch.cat([t.detach().reshape(-1).double() for t in parts.values()]).cpu().numpy()
    host: dict[Hashable, np.ndarray] = {}
    start = 0
    for key, t in parts.items():
        dtype = torch.empty(0, dtype=t.dtype).numpy().dtype
        host[key] = flat[start : start + t.numel()].reshape(t.shape).astype(dtype)
        start += t.numel()
    return host


def layer_activations(model: MLP, x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's activations over `x` as training computes them, the output layer's logits
    last: batch norm on the examples' own statistics (in eval mode, on running statistics still
    near their start, a tenth of a batch-norm net's second layer read dead where none was),
    without dropout's noise, and leaving no trace: batch norm's running statistics are put back
    and no random number is drawn."""
    record = ForwardRecord([], [])
    rate = model.dropout
    model.set_dropout(0.0)
    try:
        with buffers_kept(model):
            model(x, record)
    finally:
        model.set_dropout(rate)
    return record.post


def dead_units(post: torch.Tensor) -> torch.Tensor:
    """Per unit: zero for every sample of `post`, so it passes no gradient (its largest
    value is at most zero: one reduction, seven times faster than comparing every value)."""
    return post.amax(dim=0) <= 0


def saturated_share(post: torch.Tensor, activation: str) -> torch.Tensor:
    """Per unit: share of the batch's activations where the activation's derivative is nearly zero."""
    if activation == "sigmoid":
        derivative = 4 * post * (1 - post)  # s(1-s), scaled so its peak is 1
    else:
        derivative = 1 - post * post  # tanh' = 1 - tanh^2, peak 1
    return (derivative < SATURATION_DERIVATIVE).float().mean(0)
