"""The session: owns the worker thread, forwards commands, keeps what the panels draw.

Everything here lives on the GUI thread and holds plain data only (configs, numpy
snapshots, floats). Events from the worker update that data; a timer then tells
the panels to redraw, at most `redraw_hz` times a second and only when something
changed, so a fast run costs the GUI thread a few redraws, not one per batch.
"""

from __future__ import annotations

import copy
import math
import queue
import time
from collections import deque

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal

from engine import commands as cmd
from engine.config import Config
from engine.predictions import Fit, Predictions
from engine.probe_history import PROBES_KEPT, lean
from engine.stats import (
    CommandFailed,
    Diverged,
    EpochReport,
    History,
    Loaded,
    Saved,
    Snapshot,
    StateChanged,
    StepReport,
)
from engine.trainer import Marked, Started
from gui.worker import TrainingWorker

SHUTDOWN_WAIT_MS = 1500


class Session(QObject):
    started = Signal()  # a model is ready (new, reset or opened): panels rebuild
    tick = Signal()  # redraw: something changed since the last tick
    mode_changed = Signal(str, str)  # mode, reason
    diverged = Signal(object)  # engine.stats.Diverged
    command_failed = Signal(str, str)  # command name, reason
    saved = Signal(str)
    loaded = Signal(str, str)  # path, kind
    failed = Signal(str)  # the worker could not start (bad data): the reason
    download = Signal(str, int, int)

    def __init__(self, redraw_hz: float = 25.0, snapshot_weights: bool = True) -> None:
        super().__init__()
        self.commands: queue.SimpleQueue[cmd.Command] = queue.SimpleQueue()
        self.snapshot_weights = snapshot_weights
        self.config: Config | None = None  # the settings in force in the trainer
        self.layer_names: tuple[str, ...] = ()
        self.sizes: tuple[int, ...] = ()  # units per layer, input to output
        self.device_name = ""
        self.points: tuple = ()  # 2-D sets: the data as numpy arrays, for the decision boundary
        self.image_shape: tuple[int, int] | None = None  # image sets: an input's rows and columns
        self.features: tuple[str, ...] = ()  # plane sets: what each input is
        self.history = History()
        self.snapshot: Snapshot | None = None  # the latest, whole: the network graph draws its weights
        self.snapshots: deque[Snapshot] = deque(maxlen=PROBES_KEPT)  # lean, for the views over time
        self.predictions: Predictions | Fit | None = None  # the test set, as of the last epoch
        self.step = 0  # completed steps
        self.epoch = 0  # completed epochs
        self.epoch_fraction = 0.0  # progress through the epoch under way
        self.batches_per_epoch = 0  # steps in an epoch of this model (0 before one is ready)
        self.mode = "stopped"  # stopped (no worker) | loading | running | paused | finished | diverged
        self.samples_per_s = 0.0
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._stragglers: list[tuple[QThread, TrainingWorker]] = []
        self._workers_started = 0  # numbers the workers, whose signals carry it
        self._dirty = False
        self._rate_mark: tuple[float, int] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / redraw_hz)))
        self._timer.timeout.connect(self._on_timer)
        self._timer.start()

    # ------------------------------------------------------------------ lifetime
    @property
    def alive(self) -> bool:
        return self._thread is not None

    @property
    def last_step(self) -> float:
        """The step the run ends on, as asked for now (the epochs apply live); inf before a
        model is ready."""
        if self.config is None or not self.batches_per_epoch:
            return math.inf
        return self.config.train.epochs * self.batches_per_epoch

    def open(self, config: Config, start: bool = False) -> None:
        """Start a worker on `config` (the data loads in the worker). Stops any previous one."""
        self.shutdown()
        self.commands = queue.SimpleQueue()
        self._set_mode("loading", f"loading {config.data.name}")
        thread = QThread()
        self._workers_started += 1
        worker = TrainingWorker(config, self.commands, start, self.snapshot_weights, self._workers_started)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.events.connect(self._on_events)
        worker.failed.connect(self._on_failed)
        worker.download.connect(self._on_download)
        # Direct: quit from the worker's own thread, so it works while the GUI thread waits in shutdown().
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread, self._worker = thread, worker
        thread.start()

    def shutdown(self) -> bool:
        """Stop the worker and wait for it (bounded). True if it stopped in time."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        worker.cancel()
        self.commands.put(cmd.Stop())
        stopped = thread.wait(SHUTDOWN_WAIT_MS)
        if not stopped:  # still busy: keep it referenced, a QThread destroyed while running aborts
            self._stragglers.append((thread, worker))
        self._thread = self._worker = None
        if self.mode != "stopped":
            self._set_mode("stopped", "stopped")
        return stopped

    # ------------------------------------------------------------------ commands
    def send(self, command: cmd.Command) -> None:
        self.commands.put(command)

    def reset(self, config: Config) -> None:
        """A fresh model on `config`: through the running worker, or a new one if none runs."""
        if self.alive and self.mode != "loading":
            self.send(cmd.Reset(config))
        else:
            self.open(config)

    # ------------------------------------------------------------------ events
    def _from_the_current_worker(self, number: int) -> bool:
        """False for a stopped worker's signal, queued before it stopped and delivered after: a
        download cancelled by choosing another dataset failed, and shut the new worker down."""
        return self._worker is not None and number == self._worker.number

    def _on_download(self, number: int, name: str, done: int, total: int) -> None:
        if self._from_the_current_worker(number):
            self.download.emit(name, done, total)

    def _on_events(self, number: int, events: list[object]) -> None:
        if not self._from_the_current_worker(number):
            return
        for event in events:
            self._apply(event)
        self._dirty = True

    def _apply(self, event: object) -> None:
        if isinstance(event, StepReport):
            self.step, self.epoch, self.epoch_fraction = event.step, event.epoch, event.epoch_fraction
            self.history.add_step(event.step, event.loss, event.accuracy)
        elif isinstance(event, Snapshot):
            self.snapshot = event
            self.snapshots.append(lean(event))
        elif isinstance(event, EpochReport):
            self.history.epochs.append(event)
            self.epoch, self.epoch_fraction = event.epoch, 0.0
        elif isinstance(event, Started):
            self.config = event.config
            self.layer_names = event.layer_names
            self.sizes = event.sizes
            self.device_name = event.device
            self.points = event.points
            self.image_shape = event.image_shape
            self.features = event.features
            self.history = copy.deepcopy(event.history)
            self.snapshot = event.snapshot
            self.snapshots.clear()
            self.snapshots.extend(event.probes)  # an opened checkpoint's past
            if not event.probes or event.probes[-1].step != event.snapshot.step:  # a file saved right after a probe has its step's
                self.snapshots.append(lean(event.snapshot))
            self.predictions = None  # the new model's follow at once
            self.step, self.epoch = event.snapshot.step, event.snapshot.epoch
            self.epoch_fraction = event.epoch_fraction
            self.batches_per_epoch = event.batches_per_epoch
            self._rate_mark = None
            if self.mode == "loading":  # the model is ready for commands; its StateChanged follows
                self._set_mode("paused", "ready")
            self.started.emit()
        elif isinstance(event, (Predictions, Fit)):
            self.predictions = event
        elif isinstance(event, Marked):
            self.history.changes = list(event.changes)
        elif isinstance(event, StateChanged):
            if event.config is not None:
                self.config = event.config  # type: ignore[assignment]
            self._set_mode(event.state, event.reason)
        elif isinstance(event, Diverged):
            self.diverged.emit(event)
        elif isinstance(event, CommandFailed):
            self.command_failed.emit(event.command, event.reason)
        elif isinstance(event, Saved):
            self.saved.emit(event.path)
        elif isinstance(event, Loaded):
            self.loaded.emit(event.path, event.kind)

    def _on_failed(self, number: int, reason: str) -> None:
        if not self._from_the_current_worker(number):
            return
        self.shutdown()
        self.failed.emit(reason)

    def _set_mode(self, mode: str, reason: str) -> None:
        self.mode = mode
        if mode != "running":
            self._rate_mark = None
            self.samples_per_s = 0.0
        self.mode_changed.emit(mode, reason)
        self._dirty = True

    def _update_rate(self) -> None:
        """Samples per second over the last half second or so, from the step counter."""
        if self.mode != "running" or self.config is None:
            return
        now, step = time.perf_counter(), self.step
        if self._rate_mark is None:
            self._rate_mark = (now, step)
            return
        then, step_then = self._rate_mark
        if now - then >= 0.5:
            self.samples_per_s = (step - step_then) * self.config.train.batch_size / (now - then)
            self._rate_mark = (now, step)

    def _on_timer(self) -> None:
        self._update_rate()
        if self._dirty:
            self._dirty = False
            self.tick.emit()
