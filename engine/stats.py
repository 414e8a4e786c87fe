"""What the engine reports: frozen dataclasses of numpy arrays and floats.

Nothing here holds a torch tensor, so a snapshot can cross a thread boundary
and be drawn while the trainer keeps changing its weights in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HISTOGRAM_KINDS = ("pre", "act", "weight", "weight_grad", "act_grad")
HISTOGRAM_TITLES = {
    "pre": "pre-activations",
    "act": "activations",
    "weight": "weights",
    "weight_grad": "weight gradients",
    "act_grad": "pre-activation gradients",
}


@dataclass(frozen=True)
class Histogram:
    counts: np.ndarray  # int64, one per bin
    lo: float  # range of the bins; kept stable across steps so shapes can be compared
    hi: float
    nonfinite: int = 0  # NaN/Inf values, counted here rather than binned

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, len(self.counts) + 1)

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.nonfinite


@dataclass(frozen=True)
class LayerProbe:
    name: str
    weight_norm: float
    grad_norm: float
    update_ratio: float  # ||W_after - W_before|| / ||W_before|| for the probed step
    dead_fraction: float | None  # ReLU units that output 0 for every example probed (trainer.DEAD_JUDGED_OVER)
    saturated_fraction: float | None  # sigmoid/tanh activations in their flat tails
    act_mean: float
    act_std: float
    histograms: dict[str, Histogram]
    unit_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per unit, over the batch
    unit_dead: np.ndarray | None = None  # per unit (ReLU layers): True if 0 for every example probed
    unit_saturated: np.ndarray | None = None  # per unit (sigmoid/tanh): share of samples in the tails
    unit_std: float | None = None  # each unit's standard deviation over the batch, root mean square over the units (None: not probed)


@dataclass(frozen=True)
class NeuronMaps:
    """For 2-D inputs: every neuron's output over a grid of the input plane (TensorFlow
    Playground's little heatmaps); the output layer's maps show the decision boundary."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 of the grid
    maps: tuple[np.ndarray, ...]  # per Linear layer: (units, rows, cols), post-activation (outputs: softmax or value)


@dataclass(frozen=True)
class Snapshot:
    """The state of every layer at one training step."""

    step: int
    epoch: int
    loss: float
    layers: tuple[LayerProbe, ...]
    weights: tuple[np.ndarray, ...] = ()  # per Linear layer (out, in); for the network graph
    biases: tuple[np.ndarray, ...] = ()
    neuron_maps: NeuronMaps | None = None


@dataclass(frozen=True)
class StepReport:
    step: int
    epoch: int
    epoch_fraction: float  # 0..1 through the current epoch
    loss: float
    accuracy: float | None


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_acc: float | None
    test_acc: float | None
    seconds: float  # wall time of the epoch's training steps, evaluation excluded
    samples_per_s: float
    grad_norm: list[float]
    weight_norm: list[float]
    diverged: bool = False

    def to_json_dict(self) -> dict:
        return {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": self.train_loss,
            "test_loss": self.test_loss,
            "train_acc": self.train_acc,
            "test_acc": self.test_acc,
            "seconds": self.seconds,
            "samples_per_s": self.samples_per_s,
            "grad_norm": self.grad_norm,
            "weight_norm": self.weight_norm,
            "diverged": self.diverged,
        }


@dataclass(frozen=True)
class Diverged:
    step: int
    epoch: int
    loss: float
    layer: str  # the layer whose gradient blew up first (nearest the output)
    message: str
    grad_norm: list[float] = field(default_factory=list)  # per layer, at the failed step


@dataclass(frozen=True)
class StateChanged:
    """The trainer's mode or settings changed (paused, finished, a live setting applied, a reset)."""

    state: str  # "running", "paused", "finished", "diverged"
    reason: str = ""
    config: object = None  # engine.config.Config, the settings now in force


@dataclass(frozen=True)
class CommandFailed:
    """A command (save, load, reset, a live change) was refused; nothing changed."""

    command: str
    reason: str


@dataclass(frozen=True)
class Saved:
    path: str


@dataclass(frozen=True)
class Loaded:
    path: str
    kind: str  # "mlp-lab", "d2l-checkpoint" or "state_dict"
    history: "History" = field(default=None)  # type: ignore[assignment]


@dataclass(frozen=True)
class SettingChange:
    """Settings changed live from `step` on, e.g. "lr 0.1 → 0.5": the curves mark where."""

    step: int
    text: str


@dataclass
class History:
    """Curves that survive a save: per-epoch reports, a downsampled per-step loss, and the
    steps where settings were changed live.

    The step curve keeps at most `max_points` points: when full, every other
    point is dropped and the stride doubles, so memory stays flat however long
    the run.
    """

    epochs: list[EpochReport] = field(default_factory=list)
    step_index: list[int] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    step_acc: list[float] = field(default_factory=list)
    stride: int = 1
    max_points: int = 4000
    changes: list[SettingChange] = field(default_factory=list)

    def mark_change(self, step: int, text: str) -> None:
        """Mark settings changed at `step`; `text` describes every change made at that step
        (it replaces an earlier mark there: a slider dragged while paused makes one mark, and
        none once it is back where it was)."""
        if self.changes and self.changes[-1].step == step:
            self.changes.pop()
        if text:
            self.changes.append(SettingChange(step, text))

    def add_step(self, step: int, loss: float, acc: float | None) -> None:
        if step % self.stride:
            return
        self.step_index.append(step)
        self.step_loss.append(loss)
        self.step_acc.append(float("nan") if acc is None else acc)
        if len(self.step_index) >= self.max_points:
            self.stride *= 2
            keep = [i for i, s in enumerate(self.step_index) if s % self.stride == 0]
            self.step_index = [self.step_index[i] for i in keep]
            self.step_loss = [self.step_loss[i] for i in keep]
            self.step_acc = [self.step_acc[i] for i in keep]

    def to_dict(self) -> dict:
        return {
            "epochs": [e.to_json_dict() for e in self.epochs],
            "step_index": list(self.step_index),
            "step_loss": list(self.step_loss),
            "step_acc": list(self.step_acc),
            "stride": self.stride,
            "changes": [{"step": c.step, "text": c.text} for c in self.changes],
        }

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(
            epochs=[EpochReport(**e) for e in d.get("epochs", [])],
            step_index=[int(s) for s in d.get("step_index", [])],
            step_loss=[float(v) for v in d.get("step_loss", [])],
            step_acc=[float(v) for v in d.get("step_acc", [])],
            stride=int(d.get("stride", 1)),
            changes=[SettingChange(int(c["step"]), str(c["text"])) for c in d.get("changes", [])],
        )


# Epochs without a lower test loss after which early stopping would stop (d2l's "patience").
EARLY_STOPPING_PATIENCE = 3


def early_stopping_epoch(history: History, patience: int = EARLY_STOPPING_PATIENCE) -> EpochReport | None:
    """The epoch early stopping would have kept: the lowest test loss so far, once `patience`
    epochs have passed without a lower one; None while the test loss still improves."""
    finite = [e for e in history.epochs if math.isfinite(e.test_loss)]
    if not finite:
        return None
    best = min(finite, key=lambda e: e.test_loss)  # the first of equals: stopping keeps the earliest
    return best if history.epochs[-1].epoch - best.epoch >= patience else None
