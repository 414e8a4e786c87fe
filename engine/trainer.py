"""The Trainer: one model, its optimizer and data, trained step by step.

`Trainer.run()` is a generator. Between two steps it applies the commands
waiting in its queue (pause, step, live settings, save, load, reset) and it
yields plain events (engine.stats) as it goes. There are no threads inside:
the window iterates it from a worker thread, tests and the command line
iterate it directly.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import queue
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine import commands as cmd
from engine.checkpoint import LoadContext, load_checkpoint, save_checkpoint
from engine.config import Config, changed_fields, describe_differences
from engine.cuda_graph import GraphedGradients, buffers_kept
from engine.data import Dataset, ProgressCallback, data_origin, load_dataset, one_input_features, plane_features
from engine.errors import ConfigError, EngineError
from engine.model import MLP, ForwardRecord, build_model, check_fits_in_memory, layer_names, weight_parameters
from engine.numbers import significant
from engine.predictions import Fit, Predictions, fit, over_the_input, summarize
from engine.probe_history import ProbeHistory
from engine.probes import Prober
from engine.scratch import SGDByHand
from engine.stats import (
    CommandFailed,
    Diverged,
    EpochReport,
    History,
    Loaded,
    NeuronMaps,
    Saved,
    SettingChange,
    Snapshot,
    StateChanged,
    StepReport,
)

MAP_RESOLUTION = 32  # grid points per side for the 2-D neuron maps
# Dead ReLUs are judged over at least this many training examples: a unit that answers one
# digit in ten is silent over a whole batch of 32 one time in thirty, and the healthy preset's
# last probe read half of L1 dead over its batch where 4 % were over the training set.
DEAD_JUDGED_OVER = 256
EVAL_CHUNK = 8192  # rows per forward pass when evaluating: bounds memory on big sets


@dataclass(frozen=True)
class Started:
    """A model is ready (fresh, reset or loaded): the whole history, the last probes (an
    opened checkpoint's, behind the views over time) and a snapshot of where it stands."""

    config: Config
    history: History
    snapshot: Snapshot
    layer_names: tuple[str, ...]
    sizes: tuple[int, ...]  # units per layer, input to output
    device: str
    epoch_fraction: float  # how far into the current epoch (a checkpoint may stop mid-epoch)
    batches_per_epoch: int  # steps in an epoch: with the epochs asked for, where the run ends
    points: tuple[np.ndarray, ...] = ()  # 2-D data only: x_train, y_train, x_test, y_test, to draw under the boundary
    image_shape: tuple[int, int] | None = None  # image data only: (rows, columns) of an input
    features: tuple[str, ...] = ()  # plane sets: what each input is (engine.config.PLANE_FEATURES)
    probes: tuple[Snapshot, ...] = ()  # lean (engine.probe_history), oldest first


@dataclass(frozen=True)
class Marked:
    """A live change was marked in the history: all its marks now (one may have replaced another)."""

    changes: tuple[SettingChange, ...]


Event = StepReport | Snapshot | EpochReport | Diverged | StateChanged | CommandFailed | Saved | Loaded | Started | Predictions | Fit | Marked


def leave_cores_for_others(reserved: int = 1) -> int:
    """Let torch's CPU kernels use every core but `reserved`, and return how many they use.
    With a window open, its GUI thread needs a core of its own to stay responsive: on a
    two-core machine, two busy torch threads made the window stutter (see benchmarks/)."""
    threads = max(1, (os.cpu_count() or 1) - reserved)
    torch.set_num_threads(threads)
    return threads


def unavailable_devices() -> dict[str, str]:
    """The devices of config.DEVICES this machine lacks, each with why: the window greys them
    out rather than refuse them after a Reset."""
    return {} if torch.cuda.is_available() else {"cuda": "CUDA is not available on this machine"}


def resolve_device(name: str) -> torch.device:
    reason = unavailable_devices().get(name)
    if reason:
        raise ConfigError(f"device {name} was asked for, but {reason}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass
class EpochProgress:
    """Running sums for the epoch in progress (d2l's train_ch3 reports their means)."""

    loss_sum: float = 0.0
    correct: float = 0.0
    seen: int = 0
    seconds: float = 0.0


@dataclass
class TrainingState:
    """Everything that changes as training goes; built whole, then swapped in, so a failed
    reset or load leaves the previous state exactly as it was."""

    config: Config
    device: torch.device
    data: Dataset
    model: MLP
    optimizer: torch.optim.Optimizer
    batch_generator: torch.Generator  # draws each epoch's shuffle
    epoch_start_rng: torch.Tensor  # batch_generator's state when this epoch's shuffle was drawn
    epoch: int = 0  # completed epochs
    step: int = 0  # completed steps, all epochs
    step_in_epoch: int = 0
    progress: EpochProgress = field(default_factory=EpochProgress)
    history: History = field(default_factory=History)
    probes: ProbeHistory = field(default_factory=ProbeHistory)
    batches: tuple[torch.Tensor, ...] | None = None  # this epoch's shuffled indices, batch by batch
    graphs: dict[int, GraphedGradients] = field(default_factory=dict)  # on a GPU: this model's step, captured, by batch size
    live_base: tuple[int, Config] | None = None  # the step of the last live change and the settings before it

    @property
    def samples_per_epoch(self) -> int:
        """Every training sample, but one where even batches would leave one alone under batch
        norm, which cannot normalise it (an odd count in batches of 2): it sits the epoch out."""
        n, size = len(self.data.x_train), self.config.train.batch_size
        if self.config.normalises_batches and n < 2 * math.ceil(n / size):
            return n - 1
        return n

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(self.samples_per_epoch / self.config.train.batch_size)


def make_optimizer(model: MLP, cfg: Config) -> torch.optim.Optimizer:
    """Two parameter groups: L2 (weight decay) acts on the Linear weights only, as in d2l."""
    weights = weight_parameters(model)
    weight_ids = {id(w) for w in weights}
    others = [p for p in model.parameters() if id(p) not in weight_ids]
    groups = [
        {"params": weights, "weight_decay": cfg.train.weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    if cfg.model.from_scratch:
        return SGDByHand(groups, lr=cfg.train.lr)
    if cfg.train.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.train.lr)
    return torch.optim.SGD(groups, lr=cfg.train.lr, momentum=cfg.train.momentum)


def build_state(config: Config, data: Dataset | None = None, progress: ProgressCallback | None = None) -> TrainingState:
    """A fresh model on `config`'s data, deterministic for the config's seed. `data` is used
    where it was loaded for the same data settings (and seed, for a generated set)."""
    config.validate()
    device = resolve_device(config.train.device)
    if data is None or data.origin != data_origin(config.data, config.train.seed):
        data = load_dataset(config.data, config.train.seed, progress)
    data = data.to(device)
    if config.normalises_batches and len(data.x_train) < 2:
        raise ConfigError(f"batch norm needs at least 2 training samples; {config.data.name} has {len(data.x_train)} with these settings")
    seed = config.train.seed
    sizes = (data.n_features, *config.model.hidden, data.n_outputs)
    check_fits_in_memory(sizes, min(config.train.batch_size, len(data.x_train)), device)
    model = build_model(data.n_features, data.n_outputs, config.model, torch.Generator().manual_seed(seed)).to(device)
    model.dropout_generator = torch.Generator(device=device).manual_seed(seed + 2)
    batch_generator = torch.Generator().manual_seed(seed + 1)
    return TrainingState(
        config=config,
        device=device,
        data=data,
        model=model,
        optimizer=make_optimizer(model, config),
        batch_generator=batch_generator,
        epoch_start_rng=batch_generator.get_state(),
    )


def all_done(epochs: int) -> str:
    """"all 20 epochs are done", "the 1 epoch is done": a run's end in words."""
    return "the 1 epoch is done" if epochs == 1 else f"all {epochs:,} epochs are done"


class Trainer:
    def __init__(
        self,
        config: Config,
        data: Dataset | None = None,
        progress: ProgressCallback | None = None,
        commands: queue.SimpleQueue[cmd.Command] | None = None,
        checkpoint: str | None = None,
    ) -> None:
        """A fresh model on `config`, or the model of the `checkpoint` file (raises CheckpointError)
        on its own data and settings: `config` then serves only a d2l file, which holds weights alone."""
        # The window hands in its own queue, so commands can be sent before the data has loaded.
        self.commands: queue.SimpleQueue[cmd.Command] = commands if commands is not None else queue.SimpleQueue()
        self.progress = progress  # download progress, for the first load and for resets to a new dataset
        self.snapshot_weights = False  # the network graph wants weight copies in snapshots
        self.report_predictions = False  # the predictions panel wants test-set predictions per epoch
        self.cuda_graphs = True  # on a GPU, replay the step's kernels from a CUDA graph (off: launch each from Python)
        self.prober = Prober(config.probes.bins)
        if checkpoint is None:
            self.state = build_state(config, data, progress)
        else:
            self.state, _ = load_checkpoint(checkpoint, LoadContext(config, data, progress))
        self._start_curves()
        self.mode = "paused"  # running | paused | finished | diverged
        self._pending_steps = 0

    # ------------------------------------------------------------------ read-only views
    @property
    def config(self) -> Config:
        return self.state.config

    @property
    def model(self) -> MLP:
        return self.state.model

    @property
    def data(self) -> Dataset:
        return self.state.data

    @property
    def history(self) -> History:
        return self.state.history

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.state.optimizer

    # ------------------------------------------------------------------ numbers
    def _loss(self, out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if self.data.is_classification:
            return F.cross_entropy(out, y, reduction=reduction)
        return F.mse_loss(out, y, reduction=reduction)

    def outputs(self, split: str = "test") -> torch.Tensor:
        """The model's outputs on a whole split in eval mode, EVAL_CHUNK rows at a time."""
        x = self.data.x_test if split == "test" else self.data.x_train
        return torch.cat([self.predict(chunk) for chunk in x.split(EVAL_CHUNK)])

    @torch.no_grad()
    def evaluate(self, split: str = "test", outputs: torch.Tensor | None = None) -> tuple[float, float | None]:
        """Mean loss and accuracy (None for regression) on a whole split, in eval mode; from
        `outputs` already taken on that split where given."""
        y = self.data.y_test if split == "test" else self.data.y_train
        out = self.outputs(split) if outputs is None else outputs
        loss_sum = self._loss(out, y, "sum")
        correct = (out.argmax(1) == y).sum() if self.data.is_classification else torch.zeros((), device=out.device)
        loss_total, correct_total = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()  # one copy to the host
        n = max(1, len(y))
        return loss_total / n, correct_total / n if self.data.is_classification else None

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs for `x` in eval mode (no dropout, batch norm on running stats)."""
        model = self.model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(x.to(self.state.device))
        model.train(was_training)
        return out

    def layer_norms(self) -> tuple[list[float], list[float]]:
        """(gradient norms, weight norms) per Linear layer, input to output."""
        grads = [layer.weight.grad.norm().item() if layer.weight.grad is not None else 0.0 for layer in self.model.layers]
        weights = [layer.weight.detach().norm().item() for layer in self.model.layers]
        return grads, weights

    def evaluation_report(self, epoch: int = 0) -> EpochReport:
        """Losses and accuracies on both splits now, with gradients of one batch taken
        without any update: the headless epoch-0 line and the first curve point."""
        self.inspect()
        train_loss, train_acc = self.evaluate("train")
        test_loss, test_acc = self.evaluate("test")
        grads, weights = self.layer_norms()
        return EpochReport(epoch, self.state.step, train_loss, test_loss, train_acc, test_acc, 0.0, 0.0, grads, weights)

    def inspect(self) -> Snapshot:
        """Forward and backward on the first training batch with no update and no lasting
        side effect (random streams and batch-norm statistics are put back)."""
        s = self.state
        model = s.model
        gen = model.dropout_generator
        rng = gen.get_state() if gen is not None else None
        x = s.data.x_train[: s.config.train.batch_size]
        y = s.data.y_train[: s.config.train.batch_size]
        record = ForwardRecord([], [])
        with buffers_kept(model):
            model.zero_grad(set_to_none=True)
            loss = self._loss(model(x, record), y)
            loss.backward()
            weights_now = [layer.weight.detach().clone() for layer in model.layers]
            capture = self.prober.capture(model, record, weights_now, s.step, s.epoch, loss.item(), self.snapshot_weights, self._dead_judged_on())
            snapshot = self._with_maps(capture)
        if rng is not None:
            gen.set_state(rng)
        return snapshot

    def _dead_judged_on(self) -> torch.Tensor | None:
        """The training examples a probe judges dead units over: None (the batch itself) where
        the batch size is DEAD_JUDGED_OVER or more, or the whole set, else that many, spread
        evenly over the set (the same ones at every probe, drawn from no random stream). The
        setting decides, not the batch: even batches of 256 hold 255 examples as often as not,
        and judging those over 256 more made probes on every step a tenth slower."""
        x = self.state.data.x_train
        if self.state.config.train.batch_size >= min(DEAD_JUDGED_OVER, len(x)):
            return None
        return x[:: max(1, len(x) // DEAD_JUDGED_OVER)][:DEAD_JUDGED_OVER]

    def _with_maps(self, snapshot: Snapshot) -> Snapshot:
        if not self.snapshot_weights or self.data.plane is None:
            return snapshot
        return dataclasses.replace(snapshot, neuron_maps=self.neuron_maps())

    @torch.no_grad()
    def neuron_maps(self, resolution: int = MAP_RESOLUTION) -> NeuronMaps:
        """Each neuron's output over a grid covering the plane's training points (eval mode)."""
        assert self.data.plane is not None, "neuron maps are drawn for the plane sets only"
        x = self.data.plane[0]
        lo, hi = x.min(0).values.tolist(), x.max(0).values.tolist()
        pad = [(h - l) * 0.1 or 1.0 for l, h in zip(lo, hi)]
        xs = torch.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
        ys = torch.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
        points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], 1)
        inputs = plane_features(points, self.config.data.features).to(self.state.device)
        record = ForwardRecord([], [])
        was_training = self.model.training
        self.model.eval()
        out = self.model(inputs, record)
        self.model.train(was_training)
        outputs = torch.softmax(out, 1) if self.data.is_classification else out
        layers = [*record.post[:-1], outputs]
        maps = tuple(h.T.reshape(h.shape[1], resolution, resolution).cpu().numpy().copy() for h in layers)
        extent = (xs[0].item(), xs[-1].item(), ys[0].item(), ys[-1].item())
        return NeuronMaps(extent, maps)

    # ------------------------------------------------------------------ one step
    def _next_batch(self) -> torch.Tensor:
        """The indices of the next batch in this epoch's shuffle. The batches are as even as can
        be, none over the batch size (digits' 1,347 samples in batches of 31 and 32, not 42 of 32
        and one of 3): a last batch of a few samples took a whole step on a tenth of the evidence,
        and the test loss measured right after it jumped from 0.6 to 8.9 (the Healthy preset)."""
        s = self.state
        if s.batches is None:
            s.batch_generator.set_state(s.epoch_start_rng)
            order = torch.randperm(len(s.data.x_train), generator=s.batch_generator).to(s.device)
            s.batches = order[: s.samples_per_epoch].tensor_split(s.batches_per_epoch)
        return s.batches[s.step_in_epoch]

    def _gradients(self, idx: torch.Tensor, record: ForwardRecord | None = None) -> torch.Tensor:
        """The step up to its update: forward and backward on the batch `idx`. Returns the loss,
        the hits and the gradient norms side by side on the device, for one copy to the host."""
        s = self.state
        cfg = s.config.train
        # index_select copies whole rows: twice as fast as x[idx] on the CPU (README, Benchmark).
        x, y = s.data.x_train.index_select(0, idx), s.data.y_train.index_select(0, idx)
        out = s.model(x, record)
        loss = self._loss(out, y)
        objective = loss
        if cfg.l1 > 0:
            objective = loss + cfg.l1 * sum(w.abs().sum() for w in weight_parameters(s.model))
        s.optimizer.zero_grad(set_to_none=True)
        objective.backward()
        # The optimizer's own list: walking model.parameters() took 10 us a step, 1 % of a step on a GPU.
        params = [p for group in s.optimizer.param_groups for p in group["params"] if p.grad is not None]
        if cfg.clip_grad > 0:
            norms = [torch.nn.utils.clip_grad_norm_(params, cfg.clip_grad)]
        else:
            norms = torch._foreach_norm([p.grad for p in params])  # one call for all; summed on the host
        correct = (out.argmax(1) == y).sum() if s.data.is_classification else torch.zeros((), device=out.device)
        return torch.stack([loss.detach(), correct.float(), *norms])

    def _graphed_gradients(self, idx: torch.Tensor) -> tuple[torch.Tensor, ForwardRecord] | None:
        """`_gradients` replayed from a CUDA graph, or None where one cannot serve: off a GPU,
        with dropout (random numbers), or after a capture failed on this machine."""
        s = self.state
        if not self.cuda_graphs or s.device.type != "cuda" or s.model.dropout > 0:
            return None
        cfg = s.config.train
        settings = (s.model.activation_name, cfg.l1, cfg.clip_grad)  # what the captured kernels depend on, besides the batch size
        graph = s.graphs.get(len(idx))
        if graph is None or graph.key != settings:
            s.graphs = {n: g for n, g in s.graphs.items() if g.key == settings}  # stale ones give their memory back first
            params = [p for group in s.optimizer.param_groups for p in group["params"]]
            try:
                graph = s.graphs[len(idx)] = GraphedGradients(settings, self._gradients, idx, params, s.model)
            except RuntimeError:  # a driver or torch build that cannot capture: train as before
                self.cuda_graphs = False
                return None
        return graph(idx)

    def train_step(self, probe: bool = False) -> list[Event]:
        """One optimizer step. Returns the events it produced (a Diverged instead of an
        update when the loss or a gradient is not finite: the weights stay as they were)."""
        s = self.state
        model = s.model
        started = time.perf_counter()
        idx = self._next_batch()
        if not model.training:
            model.train()
        graphed = self._graphed_gradients(idx)
        if graphed is not None:
            readback, record = graphed
        else:
            record = ForwardRecord([], []) if probe else None
            readback = self._gradients(idx, record)
        # One device-to-host copy per step: the loss, the hits and the gradient norms together.
        loss_value, correct_value, *norm_values = readback.tolist()
        grad_value = math.sqrt(sum(n * n for n in norm_values))
        if not (math.isfinite(loss_value) and math.isfinite(grad_value)):
            return self._diverged(loss_value)
        weights_before = [layer.weight.detach().clone() for layer in model.layers] if probe else []
        s.optimizer.step()

        n = len(idx)
        s.step += 1
        s.step_in_epoch += 1
        s.progress.loss_sum += loss_value * n
        s.progress.correct += correct_value
        s.progress.seen += n
        acc = correct_value / n if s.data.is_classification else None
        s.history.add_step(s.step, loss_value, acc)
        events: list[Event] = [StepReport(s.step, s.epoch, s.step_in_epoch / s.batches_per_epoch, loss_value, acc)]
        if probe:
            snapshot = self.prober.capture(
                model, record, weights_before, s.step, s.epoch, loss_value, self.snapshot_weights, self._dead_judged_on()  # type: ignore[arg-type]
            )
            s.probes.add(snapshot)
            events.append(self._with_maps(snapshot))
        s.progress.seconds += time.perf_counter() - started  # probes included: they are part of the cost
        if s.step_in_epoch >= s.batches_per_epoch:
            test_outputs = self.outputs("test")  # one pass serves the test scores and the predictions panel
            events.append(self._finish_epoch(test_outputs))
            events += self._predictions_event(test_outputs)
        return events

    def _finish_epoch(self, test_outputs: torch.Tensor) -> EpochReport:
        s = self.state
        grads, weights = self.layer_norms()
        test_loss, test_acc = self.evaluate("test", test_outputs)
        p = s.progress
        report = EpochReport(
            epoch=s.epoch + 1,
            step=s.step,
            train_loss=p.loss_sum / max(1, p.seen),
            test_loss=test_loss,
            train_acc=p.correct / max(1, p.seen) if s.data.is_classification else None,
            test_acc=test_acc,
            seconds=p.seconds,
            samples_per_s=p.seen / p.seconds if p.seconds > 0 else 0.0,
            grad_norm=grads,
            weight_norm=weights,
        )
        s.history.epochs.append(report)
        s.epoch += 1
        s.step_in_epoch = 0
        s.progress = EpochProgress()
        s.batches = None
        s.epoch_start_rng = s.batch_generator.get_state()
        return report

    def _diverged(self, loss_value: float) -> list[Event]:
        s = self.state
        names = layer_names(s.model)
        norms, _ = self.layer_norms()
        blown = [i for i, g in enumerate(norms) if not math.isfinite(g)]
        culprit = names[blown[-1]] if blown else names[max(range(len(norms)), key=lambda i: norms[i])]
        s.optimizer.zero_grad(set_to_none=True)
        message = (
            f"Training diverged at step {s.step + 1} (epoch {s.epoch + 1}): the loss became {significant(loss_value)} "
            f"and the gradients of layer {culprit} blew up first. The weights were not updated. "
            f"Try a lower learning rate (now {significant(s.config.train.lr, 6)}), a smaller init scale, or gradient clipping."
        )
        self.mode = "diverged"
        self._pending_steps = 0
        return [Diverged(s.step + 1, s.epoch, loss_value, culprit, message, norms), StateChanged("diverged", message, s.config)]

    # ------------------------------------------------------------------ commands
    def apply_live(self, change: cmd.LiveChange) -> Config:
        """Apply a live setting at once; raise ConfigError (changing nothing) if it is out of range."""
        s = self.state
        new = s.config.with_changes(**change.changes()).validate()
        for group in s.optimizer.param_groups:
            group["lr"] = new.train.lr
        s.optimizer.param_groups[0]["weight_decay"] = new.train.weight_decay
        s.model.set_dropout(new.model.dropout)
        if new.model.activation != s.model.activation_name:
            s.model.set_activation(new.model.activation)
            self.prober.forget("act")  # another function's values: another range
        self._mark(s.config, new)
        s.config = new
        return new

    def _mark(self, old: Config, new: Config) -> None:
        """Mark the change in the history, as from the settings before the first change at this
        step: the steps from here on learn with them. The epochs are left out: they change how
        long it learns, not how."""
        s = self.state
        if s.live_base is None or s.live_base[0] != s.step:
            s.live_base = (s.step, old)
        base = s.live_base[1]
        learning = new.with_changes(train={"epochs": base.train.epochs})
        s.history.mark_change(s.step, describe_differences(base, learning, "→") if changed_fields(base, learning) else "")

    def reset(self, config: Config) -> None:
        """A fresh model on `config` (the data reloads only if its settings or seed changed)."""
        self._swap_in(build_state(config, self.state.data, self.progress))
        self.mode = "paused"
        self._pending_steps = 0

    def _swap_in(self, state: TrainingState) -> None:
        """Make `state` the session's, with its first curve point; if that fails (the evaluation
        runs out of memory...), the previous state stays."""
        previous, self.state = self.state, state
        try:
            self.prober.reset(state.probes.ranges())
            self._start_curves()
        except Exception:
            self.state = previous
            raise

    def _start_curves(self) -> None:
        """A model with no history (fresh, or from a d2l file, which carries none) gets its first
        curve point where it stands."""
        if not self.state.history.epochs:
            self.state.history.epochs.append(self.evaluation_report(epoch=self.state.epoch))

    def save(self, path: str) -> None:
        save_checkpoint(self, path)

    def load(self, path: str, given: Mapping[str, Mapping[str, Any]] | None = None) -> str:
        """Replace the session with a checkpoint's, with the settings the command line `given` put
        over its own (cmd.changes_over_checkpoint); returns its kind. Raises CheckpointError,
        DataError or ConfigError and leaves everything as it was if the file or a setting is refused."""
        state, kind = load_checkpoint(path, LoadContext(self.config, self.data, self.progress))
        changes = cmd.changes_over_checkpoint(state.config, state.epoch, given or {})
        self._swap_in(state)
        for change in changes:
            self.apply_live(change)
        self.mode = "finished" if state.epoch >= self.config.train.epochs else "paused"
        self._pending_steps = 0
        return kind

    @torch.no_grad()
    def predictions(self, test_outputs: torch.Tensor | None = None) -> Predictions | Fit:
        """The test set's confusion matrix and a gallery of examples, or a regression's targets
        beside its predictions, from the test outputs already taken where given."""
        d, s = self.data, self.state
        outputs = self.outputs("test") if test_outputs is None else test_outputs
        if not d.is_classification:
            f = fit(outputs, d.y_test, s.epoch, s.step)
            if d.one_input is None:
                return f
            data_cfg = s.config.data
            return over_the_input(f, lambda x: self.predict(one_input_features(data_cfg, x)), d.one_input[0], d.y_train, d.one_input[1])
        return summarize(outputs, d.y_test, d.x_test, d.class_names, d.image_shape, s.epoch, s.step)

    def _predictions_event(self, test_outputs: torch.Tensor | None = None) -> list[Event]:
        return [self.predictions(test_outputs)] if self.report_predictions else []

    def _started_events(self) -> Iterator[Event]:
        yield self._started()
        yield from self._predictions_event()

    def _started(self) -> Started:
        return Started(
            self.config,
            copy.deepcopy(self.history),
            self.inspect(),
            tuple(layer_names(self.model)),
            tuple(self.model.sizes),
            str(self.state.device),
            self.state.step_in_epoch / self.state.batches_per_epoch,
            self.state.batches_per_epoch,
            self._plane_points(),
            self.data.image_shape,
            self.config.data.features if self.data.plane is not None else (),
            tuple(self.state.probes.snapshots),
        )

    def _plane_points(self) -> tuple[np.ndarray, ...]:
        d = self.data
        if d.plane is None:
            return ()
        return tuple(t.cpu().numpy().copy() for t in (d.plane[0], d.y_train, d.plane[1], d.y_test))

    def _handle(self, command: cmd.Command) -> Iterator[Event]:
        try:
            if isinstance(command, cmd.Pause):
                if self.mode == "running":
                    self.mode = "paused"
                    yield StateChanged("paused", "paused", self.config)
            elif isinstance(command, (cmd.Resume, cmd.Step)) and self.state.epoch >= self.config.train.epochs:
                # A Step here was kept for later and taken, unasked, once the epochs were raised.
                self.mode = "finished"
                yield StateChanged("finished", f"{all_done(self.config.train.epochs)}: raise the epoch count to go on", self.config)
            elif isinstance(command, cmd.Resume):
                self.mode = "running"
                yield StateChanged("running", "training", self.config)
            elif isinstance(command, cmd.Step):
                if self.mode == "running":
                    self.mode = "paused"
                    yield StateChanged("paused", "paused", self.config)
                self._pending_steps += max(1, command.count)
            elif isinstance(command, cmd.LiveChange):
                old, new = self.config, self.apply_live(command)
                if self.mode == "finished" and self.state.epoch < new.train.epochs:
                    self.mode = "paused"
                # Words for the user, "activation relu → tanh": the window said "Applied SetActivation".
                yield StateChanged(self.mode, describe_differences(old, new, "→"), new)
                yield Marked(tuple(self.history.changes))
            elif isinstance(command, cmd.Reset):
                self.reset(command.config)
                yield from self._started_events()
                yield StateChanged(self.mode, "reset", self.config)
            elif isinstance(command, cmd.Save):
                self.save(command.path)
                yield Saved(command.path)
            elif isinstance(command, cmd.Load):
                kind = self.load(command.path, command.given)
                yield Loaded(command.path, kind, copy.deepcopy(self.history))
                yield from self._started_events()
                yield StateChanged(self.mode, "", self.config)  # Loaded said it: "opened PATH" here hid the file's kind
        except EngineError as exc:
            yield CommandFailed(type(command).__name__, str(exc))

    def _drain(self, block: bool) -> list[cmd.Command]:
        pending = [self.commands.get()] if block else []
        while True:
            try:
                pending.append(self.commands.get_nowait())
            except queue.Empty:
                return pending

    # ------------------------------------------------------------------ the loop
    def run(self, start: bool = True, stop_when_finished: bool = True) -> Iterator[Event]:
        """Train, yielding events. While paused it waits on the command queue (send Stop
        to end it from another thread); with stop_when_finished it returns after the
        last epoch, else it waits for more commands."""
        yield from self._started_events()
        if self.state.epoch >= self.config.train.epochs:
            self.mode = "finished"
        elif start:
            self.mode = "running"
        yield StateChanged(self.mode, "ready", self.config)
        while True:
            if self.mode == "finished" and stop_when_finished:
                return
            idle = self.mode != "running" and self._pending_steps == 0
            for command in self._drain(block=idle):
                if isinstance(command, cmd.Stop):
                    return
                yield from self._handle(command)
            if self.mode == "running" or self._pending_steps > 0:
                yield from self._advance()

    def _advance(self) -> Iterator[Event]:
        probe = self.state.step % self.config.probes.every == 0 or self._pending_steps > 0 or self._ends_the_run()
        events = self.train_step(probe)
        yield from events
        if self._pending_steps:
            self._pending_steps -= 1
        if self.mode == "running" and self.state.epoch >= self.config.train.epochs and self.state.step_in_epoch == 0:
            self.mode = "finished"
            yield StateChanged("finished", all_done(self.state.epoch), self.config)

    def _ends_the_run(self) -> bool:
        """The next step is the last epoch's last. It is probed, so that the views of a finished
        run show where it ended, not the probe some steps before ("step 226" of 235)."""
        s = self.state
        return s.epoch + 1 >= s.config.train.epochs and s.step_in_epoch + 1 >= s.batches_per_epoch
