"""The last probes of a run, kept lean, for the "over time" views and for checkpoints.

A probe's snapshot carries copies of every weight and per-unit arrays for the views of the
moment (the network graph): 300 of them on Fashion-MNIST's 784-256-10 held 240 MB. What the
views over time draw (histograms, norms, update ratios, dead or saturated shares) is a few
kilobytes a probe, so the last PROBES_KEPT probes are kept without the rest, and travel with
a checkpoint: an opened file shows its run's past, not one column.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from engine.stats import HISTOGRAM_KINDS, HISTOGRAM_TITLES, Histogram, LayerProbe, Snapshot

PROBES_KEPT = 300  # a few minutes of probes at the default interval
SCALARS = ("weight_norm", "grad_norm", "update_ratio", "dead_fraction", "saturated_fraction", "act_mean", "act_std")
OPTIONAL = ("dead_fraction", "saturated_fraction")  # None where the activation has no such thing


def lean(snapshot: Snapshot) -> Snapshot:
    """`snapshot` without what only the views of the moment use: weights, biases, per-unit
    arrays and neuron maps."""
    layers = tuple(dataclasses.replace(p, unit_mean=np.zeros(0), unit_dead=None, unit_saturated=None) for p in snapshot.layers)
    return Snapshot(snapshot.step, snapshot.epoch, snapshot.loss, layers)


def structure(snapshot: Snapshot) -> tuple[tuple[tuple[str, int], ...], ...]:
    """Per layer, each histogram's kind and bin count: what probes must share to be packed together."""
    return tuple(tuple(sorted((kind, len(h.counts)) for kind, h in p.histograms.items())) for p in snapshot.layers)


class ProbeHistory:
    """The last PROBES_KEPT probes of one model, lean, oldest first."""

    def __init__(self, snapshots: Iterable[Snapshot] = ()) -> None:
        self.snapshots: deque[Snapshot] = deque(maxlen=PROBES_KEPT)
        self._structure: tuple = ()  # that of the probes kept
        for snapshot in snapshots:
            self.add(snapshot)

    def add(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` (lean); one shaped otherwise than those kept starts the history anew."""
        shape = structure(snapshot)
        if shape != self._structure:
            self.snapshots.clear()
            self._structure = shape
        self.snapshots.append(lean(snapshot))

    def ranges(self) -> dict[tuple[int, str], tuple[float, float]]:
        """The latest probe's histogram ranges by (layer, kind): a prober that starts from them
        goes on binning as before (its ranges only ever grow)."""
        if not self.snapshots:
            return {}
        return {(i, kind): (h.lo, h.hi) for i, p in enumerate(self.snapshots[-1].layers) for kind, h in p.histograms.items()}

    def to_dict(self) -> dict[str, Any]:
        """Numbers, lists and one tensor of counts per layer and kind: what torch.load(weights_only=True) reads."""
        snapshots = list(self.snapshots)
        layers = []
        for i in range(len(snapshots[0].layers) if snapshots else 0):
            probes = [s.layers[i] for s in snapshots]
            histograms = {}
            for kind in probes[0].histograms:
                hists = [p.histograms[kind] for p in probes]
                histograms[kind] = {
                    "counts": torch.from_numpy(compact(np.stack([h.counts for h in hists]))),
                    "lo": [h.lo for h in hists],
                    "hi": [h.hi for h in hists],
                    "nonfinite": [h.nonfinite for h in hists],
                }
            layers.append({**{name: [getattr(p, name) for p in probes] for name in SCALARS}, "histograms": histograms})
        return {
            "steps": [s.step for s in snapshots],
            "epochs": [s.epoch for s in snapshots],
            "losses": [s.loss for s in snapshots],
            "layers": layers,
        }

    @classmethod
    def from_dict(cls, packed: Any, layer_names: Sequence[str]) -> ProbeHistory:
        """The history `to_dict` packed, for a model with `layer_names`; raises ValueError with
        the reason for anything damaged, foreign or out of shape."""
        if not isinstance(packed, dict):
            raise ValueError("the probe history is not a dict")
        steps = _numbers(packed.get("steps"), None, "steps", int)
        n = len(steps)
        epochs = _numbers(packed.get("epochs"), n, "epochs", int)
        losses = _numbers(packed.get("losses"), n, "losses", float)
        layers = packed.get("layers")
        if not isinstance(layers, list) or len(layers) != (len(layer_names) if n else 0):
            raise ValueError(f"the probe history's layers do not match the model's {len(layer_names)}")
        columns = [_layer_columns(layer, n, name) for layer, name in zip(layers, layer_names)]
        snapshots = [
            Snapshot(steps[j], epochs[j], losses[j], tuple(_layer_probe(name, column, j) for name, column in zip(layer_names, columns)))
            for j in range(n)
        ]
        return cls(snapshots)


def compact(counts: np.ndarray) -> np.ndarray:
    """Counts as int32 where they fit (a bin holds at most one tensor's values): half the file."""
    return counts.astype(np.int32 if counts.max(initial=0) <= np.iinfo(np.int32).max else np.int64)


def _layer_columns(layer: Any, n: int, name: str) -> dict[str, Any]:
    """One layer's packed probes, checked: each scalar's n values and each histogram's n rows."""
    if not isinstance(layer, dict) or not isinstance(layer.get("histograms"), dict):
        raise ValueError(f"the probe history of {name} is not a dict of numbers and histograms")
    columns: dict[str, Any] = {key: _numbers(layer.get(key), n, f"{name} {key}", float, key in OPTIONAL) for key in SCALARS}
    histograms = {}
    for kind, packed in layer["histograms"].items():
        if kind not in HISTOGRAM_KINDS or not isinstance(packed, dict):
            raise ValueError(f"the probe history of {name} has an unknown histogram {kind!r}")
        what = f"the {HISTOGRAM_TITLES[kind]} histograms of {name}"
        counts = packed.get("counts")
        if not isinstance(counts, torch.Tensor) or counts.dim() != 2 or len(counts) != n or counts.shape[1] < 2:
            raise ValueError(f"{what} are not {n} rows of two bins or more")
        if counts.is_floating_point() or counts.is_complex():
            raise ValueError(f"{what} are not whole numbers")
        if counts.numel() and int(counts.min()) < 0:
            raise ValueError(f"{what} hold negative counts")
        lo, hi = (_numbers(packed.get(edge), n, f"{name} {kind} {edge}", float) for edge in ("lo", "hi"))
        if not all(math.isfinite(a) and math.isfinite(b) and a < b for a, b in zip(lo, hi)):
            raise ValueError(f"{what} have ranges that are not finite and increasing")
        nonfinite = _numbers(packed.get("nonfinite"), n, f"{name} {kind} nonfinite", int)
        rows = counts.to(torch.int64).numpy()
        histograms[kind] = [Histogram(rows[j], lo[j], hi[j], nonfinite[j]) for j in range(n)]
    columns["histograms"] = histograms
    return columns


def _layer_probe(name: str, columns: dict[str, Any], j: int) -> LayerProbe:
    return LayerProbe(name=name, histograms={kind: rows[j] for kind, rows in columns["histograms"].items()}, **{k: columns[k][j] for k in SCALARS})


def _numbers(values: Any, n: int | None, what: str, kind: type, optional: bool = False) -> list:
    """`values` as a list of n numbers of `kind` (None allowed where `optional`), or ValueError."""
    if not isinstance(values, list) or (n is not None and len(values) != n):
        raise ValueError(f"the probe history's {what} are not {'a list' if n is None else f'{n} numbers'}")
    allowed = (int,) if kind is int else (int, float)
    if any(not (isinstance(v, allowed) and not isinstance(v, bool)) and not (optional and v is None) for v in values):
        raise ValueError(f"the probe history's {what} are not all {'whole ' if kind is int else ''}numbers")
    if kind is int and any(v < 0 for v in values):
        raise ValueError(f"the probe history's {what} are negative")
    return [v if v is None else kind(v) for v in values]
