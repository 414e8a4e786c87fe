"""Loss and accuracy curves: per step (smoothed) and per epoch, train and test, live."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.config import Config, describe_differences
from engine.numbers import significant
from engine.stats import EpochReport, History, SettingChange, early_stopping_epoch
from gui.plotting import ChangeMarks, SparseAxis, add_legend_row, dots_if_lone, graphics_layout, steady_plot

HOVER_HINT = "Hover a curve to read it."
NEAR_MARK_PX = 5  # a hover this close to a mark of a live change reads it
WIDE_SPAN = 100.0  # losses this many times apart: on a linear axis all but the highest lie flat
MAX_DRAWN_POINTS = 1500
MIN_STEPS_SHOWN = 100
MARKER_SIZE_PX = 7  # the epochs' markers
LOSS_MIN_SHARE = 0.1  # the loss axis spans a tenth of the loss at least: a new run's first two are 1e-4 apart
MIN_GRAPHICS_HEIGHT_PX = 200  # the plots with their titles, axes and legend row
SMOOTHING = 25  # steps in the moving average drawn over the raw step loss
TRAIN_COLOUR = "#1f77b4"
TEST_COLOUR = "#d62728"
CHANCE_COLOUR = "#8c8c8c"
CHANCE_Z = 10  # above the batches' curves (plot items are at 0): their noise hid its name
# The epochs' markers over every line's name: a run flat on chance had its latest test losses
# hidden behind "chance: ln 2".
EPOCH_MARKERS_Z = CHANCE_Z + 2
ROOM_UNDER_CHANCE = 4  # classes up to which the accuracy's chance line (1/k) has room for its name under it


BASELINE_COLOURS = ("#7f7f7f", "#9467bd", "#8c564b", "#e377c2")


@dataclass
class Baseline:
    """A pinned run: its curves stay on the plots, labelled by how its settings differ."""

    history: History
    config: Config
    loss_item: pg.PlotDataItem
    acc_item: pg.PlotDataItem


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` points (fewer at the start), NaN-safe enough for a plot."""
    if len(values) == 0:
        return values
    window = max(1, min(window, len(values)))
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    starts = np.arange(len(values)) + 1 - counts
    return (sums[np.arange(1, len(values) + 1)] - sums[starts]) / counts


def nearest_index(ascending: Sequence[float], x: float) -> int:
    """The index of the value nearest `x`: the pointer a hair past step 84 reads step 84, where
    the first step at or after it read 85."""
    i = int(np.searchsorted(ascending, x))
    if i == len(ascending) or (i > 0 and x - ascending[i - 1] <= ascending[i] - x):
        return i - 1
    return i


def factor_text(factor: float) -> str:
    """To one digit, plainly below a million ("7,000"), else as a power ("3e12"): "1e+02 times" read badly."""
    rounded = float(f"{factor:.0e}")
    return f"{rounded:,.0f}" if rounded < 1e6 else significant(rounded, 1)


def epoch_arrays(history: History) -> dict[str, np.ndarray]:
    """Per-epoch columns as float arrays (None becomes NaN)."""
    def column(name: str) -> np.ndarray:
        return np.array([np.nan if getattr(e, name) is None else getattr(e, name) for e in history.epochs], dtype=float)

    return {name: column(name) for name in ("epoch", "step", "train_loss", "test_loss", "train_acc", "test_acc")}


def history_csv(history: History) -> str:
    """The curves as CSV: one row per epoch, then the per-step loss, then the settings changed live."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["epoch", "step", "train_loss", "test_loss", "train_acc", "test_acc", "seconds", "samples_per_s"])
    for e in history.epochs:
        writer.writerow([e.epoch, e.step, e.train_loss, e.test_loss, e.train_acc, e.test_acc, e.seconds, e.samples_per_s])
    writer.writerow([])
    writer.writerow(["step", "batch_loss", "batch_acc"])
    for row in zip(history.step_index, history.step_loss, history.step_acc):
        writer.writerow(row)
    writer.writerow([])
    writer.writerow(["step", "settings_changed"])
    for change in history.changes:
        writer.writerow([change.step, change.text])
    return out.getvalue()


def positive_finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values) & (values > 0)]


def chance_line(plot: pg.PlotItem) -> pg.InfiniteLine:
    """A faint level line, hidden until placed, named at its right end; it does not widen the
    plot's range (a loss view zoomed on 0.1 to 0.3 keeps its scale). Over the curves, on a
    light ground: a run that learns nothing is on the line, and its noisy batch loss hid the name."""
    line = pg.InfiniteLine(
        angle=0, pen=pg.mkPen(CHANCE_COLOUR, width=1, style=pg.QtCore.Qt.PenStyle.DashDotLine), label="chance",
        labelOpts={"position": 0.98, "color": CHANCE_COLOUR, "fill": (255, 255, 255, 200)},
    )  # fmt: skip
    line.setZValue(CHANCE_Z)
    line.hide()
    plot.addItem(line, ignoreBounds=True)
    return line


def hang_name(line: pg.InfiniteLine, below: bool) -> None:
    """Put a level line's name at its right end, hung below it or standing on it."""
    anchor = (1, 0) if below else (1, 1)  # the name's corner on the line
    line.label.anchors = [anchor, anchor]
    line.label.updatePosition()


def name_clear_of_markers(line: pg.InfiniteLine, plot: pg.PlotItem, markers: Sequence[pg.PlotDataItem], below: bool) -> None:
    """Hang the line's name under it (`below`) or stand it on it, unless the markers under the
    name crowd that side more than the other and the other has room in the view: a run flat on
    chance had its latest test losses, just under ln 2, drawn behind "chance: ln 2"."""
    box = line.label.sceneBoundingRect()
    if box.isEmpty():  # not laid out yet: placed again as the markers come
        return hang_name(line, below)
    (left, top), (right, bottom) = (plot.vb.mapSceneToView(corner).toTuple() for corner in (box.topLeft(), box.bottomRight()))
    level, height = line.value(), abs(top - bottom)
    crowd = {True: 0, False: 0}  # side below -> markers there
    for item in markers:
        x, y = item.getData()
        if x is None:
            continue
        under_name = (x >= left) & (x <= right)
        crowd[True] += int(np.count_nonzero(under_name & (y >= level - height) & (y <= level)))
        crowd[False] += int(np.count_nonzero(under_name & (y >= level) & (y <= level + height)))
    low, high = plot.vb.viewRange()[1]
    room = level - height >= low if not below else level + height <= high
    hang_name(line, below if crowd[below] <= crowd[not below] or not room else not below)


class CurvesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = graphics_layout()
        # At least MIN_STEPS_SHOWN steps wide: the first steps of a run come in fast, and each
        # jump of the axes is a costly repaint.
        # The two plots share a row of their own, so that the loss can take all of it (a regression).
        plots = self.graphics.addLayout(row=0, col=0)
        room = {"min_span": (MIN_STEPS_SHOWN, 0), "marker_room_px": MARKER_SIZE_PX / 2 + 1}  # half a marker and its outline
        self.loss_plot = steady_plot(plots, min_share=(0, LOSS_MIN_SHARE), row=0, col=0, title="Loss", axisItems={"left": SparseAxis("left")}, **room)
        self.acc_plot = steady_plot(plots, row=0, col=1, title="Accuracy", **room)
        self.acc_plot.setXLink(self.loss_plot)
        self.step_plots = (self.loss_plot, self.acc_plot)  # plots over the run's steps
        self.marks = ChangeMarks(self.loss_plot, (self.acc_plot,))  # a bump in the curves, and its cause beside it
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "step")
        # One legend serves both plots (same colours): over the loss plot it covered the first
        # epochs' points whenever the loss started flat.
        self.legend = add_legend_row(self.graphics, row=1)
        self.baselines: list[Baseline] = []
        self.acc_plot.setYRange(0, 1)
        faint = pg.mkPen(TRAIN_COLOUR, width=1)
        faint.setColor(pg.mkColor(TRAIN_COLOUR + "40"))
        self.items = {
            "step_loss_raw": self.loss_plot.plot(pen=faint),
            "step_loss": self.loss_plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=1.5)),
            "train_loss": self.loss_plot.plot(pen=None, symbol="o", symbolSize=MARKER_SIZE_PX, symbolBrush=TRAIN_COLOUR),
            "test_loss": self.loss_plot.plot(pen=pg.mkPen(TEST_COLOUR, width=2), symbol="s", symbolSize=MARKER_SIZE_PX, symbolBrush=TEST_COLOUR),
            "step_acc": self.acc_plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=1.5)),
            "train_acc": self.acc_plot.plot(pen=None, symbol="o", symbolSize=MARKER_SIZE_PX, symbolBrush=TRAIN_COLOUR),
            "test_acc": self.acc_plot.plot(pen=pg.mkPen(TEST_COLOUR, width=2), symbol="s", symbolSize=MARKER_SIZE_PX, symbolBrush=TEST_COLOUR),
        }
        for key, name in (("step_loss", "batches (smoothed)"), ("train_loss", "train, epoch"), ("test_loss", "test, epoch")):
            self.legend.addItem(self.items[key], name)
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            self.items[key].setZValue(EPOCH_MARKERS_Z)
        # Where early stopping would have stopped: the epoch of the lowest test loss, once it is past.
        # Its label runs up along the line: across it, it ran out of a narrow plot.
        self.early_stop = pg.InfiniteLine(
            angle=90, pen=pg.mkPen(TEST_COLOUR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine), label="early stop",
            labelOpts={"position": 0.3, "rotateAxis": (1, 0), "color": TEST_COLOUR, "fill": (255, 255, 255, 200)},
        )  # fmt: skip
        self.early_stop.hide()
        self.early_stop.setZValue(CHANCE_Z + 1)  # its label's ground over the chance line, which crossed "early stop"
        self.loss_plot.addItem(self.early_stop, ignoreBounds=True)
        # Where a classifier that guesses stands: its loss starts there (uniform outputs), and a
        # flat curve on this line has learned nothing yet.
        self._classes: int | None = None
        self.chance_loss, self.chance_acc = chance_line(self.loss_plot), chance_line(self.acc_plot)
        for plot in self.step_plots:  # the names' place in data depends on the view
            plot.vb.sigRangeChanged.connect(self._name_chance)
            plot.vb.sigResized.connect(self._name_chance)
        self.log_scale = QCheckBox("log-scale loss")
        self.log_scale.toggled.connect(self._set_log)
        self.readout = QLabel(HOVER_HINT)
        self.readout.setMinimumWidth(200)
        # Two lines, always: a hover's numbers wrap instead of running off the panel, and the
        # plots under them do not move as the text changes length.
        self.readout.setWordWrap(True)
        self.readout.setFixedHeight(2 * self.readout.fontMetrics().lineSpacing() + 2)
        bar = QHBoxLayout()
        bar.addWidget(self.log_scale)
        bar.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        # Titles, axes and the legend take about 140 pixels: this leaves the data about 60. Under
        # the divergence banner on a 700-pixel screen the plots had kept 1, the docks all theirs.
        self.graphics.setMinimumHeight(MIN_GRAPHICS_HEIGHT_PX)
        self._history = History()
        self._hovered = False
        self._epoch_losses = np.zeros(0)  # the epochs' positive, finite losses, as drawn
        self._batch_peak = 0.0  # the highest batch loss drawn
        self._early_stop: EpochReport | None = None  # the epoch early stopping would keep, as drawn
        self._drawn: dict[str, tuple] = {"steps": (), "epochs": ()}  # what the plots show, to skip redrawing it
        self._behind: dict[str, set[str]] = {}  # plot (loss, accuracy) -> parts it does not show yet, longest behind first
        self._hover = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)

    def pin(self, history: History, config: Config) -> None:
        """Keep `history`'s test curves on the plots as a baseline for the runs to come."""
        colour = BASELINE_COLOURS[len(self.baselines) % len(BASELINE_COLOURS)]
        pen = pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        epochs = epoch_arrays(history)
        loss = self.loss_plot.plot(epochs["step"], epochs["test_loss"], pen=pen)
        self.legend.addItem(loss, "baseline")
        acc = self.acc_plot.plot(epochs["step"], epochs["test_acc"], pen=pen)
        self.baselines.append(Baseline(history, config, loss, acc))

    def clear_baselines(self) -> None:
        for baseline in self.baselines:
            self.legend.removeItem(baseline.loss_item)
            self.loss_plot.removeItem(baseline.loss_item)
            self.acc_plot.removeItem(baseline.acc_item)
        self.baselines.clear()

    def label_baselines(self, current: Config) -> None:
        """Name each baseline by what differs from the settings now in force."""
        for baseline in self.baselines:
            label = self.legend.getLabel(baseline.loss_item)
            if label is not None:
                label.setText(f"baseline (test): {describe_differences(baseline.config, current)}")

    def refresh(self, history: History, one_plot: bool = False) -> bool:
        """Redraw from `history`, reusing the plot items; parts that did not change are skipped.
        one_plot: redraw one plot and say whether the other is still behind (the window
        spreads its panels over passes of the event loop, to keep each paint short)."""
        if history is not self._history:  # a new run: its readout starts idle
            self._hovered = False
        self._history = history
        self.marks.show(history.changes)
        keys = {"steps": (id(history), len(history.step_index), history.stride), "epochs": (id(history), len(history.epochs))}
        for part, key in keys.items():
            if key != self._drawn[part]:
                self._drawn[part] = key
                for plot in ("loss", "accuracy"):
                    self._behind.setdefault(plot, set()).add(part)  # a plot already behind keeps its place
        while self._behind:
            plot = next(iter(self._behind))
            parts = self._behind.pop(plot)
            if "steps" in parts:
                self._draw_steps(history, plot)
            if "epochs" in parts:
                self._draw_epochs(history, plot)
            if one_plot:
                break
        return bool(self._behind)

    def _draw_steps(self, history: History, plot: str) -> None:
        every = max(1, len(history.step_index) // MAX_DRAWN_POINTS)  # a screen has ~1000 columns anyway
        steps = np.asarray(history.step_index, dtype=float)[::every]
        window = max(1, SMOOTHING // max(1, history.stride))
        if plot == "loss":
            step_loss = np.asarray(history.step_loss, dtype=float)
            self.items["step_loss_raw"].setData(steps, step_loss[::every])
            smoothed = moving_average(step_loss, window)[::every]
            self.items["step_loss"].setData(steps, smoothed, **dots_if_lone(smoothed, TRAIN_COLOUR))
            self._batch_peak = float(positive_finite(step_loss).max(initial=0.0))
            self._show_idle_text()
            return
        step_acc = np.asarray(history.step_acc, dtype=float)
        if np.isnan(step_acc).all():
            self.items["step_acc"].setData([], [])
        else:
            smoothed = moving_average(step_acc, window)[::every]
            self.items["step_acc"].setData(steps, smoothed, **dots_if_lone(smoothed, TRAIN_COLOUR))

    def _draw_epochs(self, history: History, plot: str) -> None:
        epochs = epoch_arrays(history)
        if plot == "loss":
            self.items["train_loss"].setData(epochs["step"], epochs["train_loss"])
            self.items["test_loss"].setData(epochs["step"], epochs["test_loss"])
            self._epoch_losses = positive_finite(np.concatenate([epochs["train_loss"], epochs["test_loss"]]))
            self._mark_early_stop(history)
            self._show_idle_text()
            self._name_chance()
            return
        # A regression has no accuracy: its empty axes gave way to the loss, which takes the width.
        regression = bool(len(epochs["test_acc"]) > 0 and np.isnan(epochs["test_acc"]).all())
        self.acc_plot.setVisible(not regression)
        for name in ("train_acc", "test_acc"):
            self.items[name].setData(*(([], []) if regression else (epochs["step"], epochs[name])))
        self._name_chance()

    @property
    def _loss_span(self) -> float:
        """How many times the largest loss drawn is the smallest epoch loss: the top of the linear
        axis is the highest loss, a batch's too (one batch at 4,000 on a run at lr 10 left every
        other loss flat at the bottom), and the bottom the epochs' (a batch's lowest is noise)."""
        lows = self._epoch_losses
        return float(max(lows.max(), self._batch_peak) / lows.min()) if lows.size else 1.0

    def _mark_early_stop(self, history: History) -> None:
        self._early_stop = early_stopping_epoch(history)
        self.early_stop.setVisible(self._early_stop is not None)
        if self._early_stop is not None:
            self.early_stop.setValue(self._early_stop.step)

    def set_classes(self, classes: int | None) -> None:
        """Draw chance for `classes` classes: the cross-entropy of uniform outputs, ln k, and the
        accuracy of a guess, 1/k. None (a regression) has no chance level."""
        self._classes = classes
        for line in (self.chance_loss, self.chance_acc):
            line.setVisible(classes is not None)
        if classes is None:
            return
        self.chance_loss.label.setFormat(f"chance: ln {classes}")
        self.chance_acc.label.setFormat(f"chance: 1/{classes}")
        self.chance_acc.setValue(1 / classes)
        self._place_chance_loss()

    def _name_chance(self) -> None:
        """Name each chance line where the curves seldom are late in a run, unless the epochs'
        markers are there: under the loss's line (a new run's loss starts on it, at the top of
        the plot), and over the accuracy's where little room lies under it (1/10), else under it
        (a chance-level XOR's accuracy wanders just over 1/2)."""
        if self._classes is None:
            return
        loss_markers = (self.items["train_loss"], self.items["test_loss"])
        acc_markers = (self.items["train_acc"], self.items["test_acc"])
        name_clear_of_markers(self.chance_loss, self.loss_plot, loss_markers, below=True)
        name_clear_of_markers(self.chance_acc, self.acc_plot, acc_markers, below=self._classes <= ROOM_UNDER_CHANCE)

    def _place_chance_loss(self) -> None:
        """ln k on the loss axis, linear or log: a line is not moved by the plot's log mode."""
        if self._classes is not None:
            chance = math.log(self._classes)
            self.chance_loss.setValue(math.log10(chance) if self.log_scale.isChecked() else chance)
            self._name_chance()

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._place_chance_loss()
        self._show_idle_text()

    def idle_text(self) -> str:
        """The readout before a hover: where the epoch losses span two decades or more on a linear
        axis (a regression's MSE falls from 45 to 0.01, a diverging run spikes), the log scale;
        the epoch early stopping would keep, once there is one."""
        notes = []
        if self._loss_span >= WIDE_SPAN and not self.log_scale.isChecked():
            notes.append(f"Losses differ {factor_text(self._loss_span)}-fold: log-scale loss shows them all.")
        if self._early_stop is not None:
            notes.append(f"Early stopping keeps epoch {self._early_stop.epoch} (test loss {significant(self._early_stop.test_loss)}).")
        return " ".join(notes) or HOVER_HINT

    def _show_idle_text(self) -> None:
        if not self._hovered:  # a hover's numbers stay until the next hover
            self.readout.setText(self.idle_text())

    def _on_mouse(self, event: tuple[QPointF]) -> None:
        position = event[0]
        for plot in (self.loss_plot, self.acc_plot):
            if plot.sceneBoundingRect().contains(position):
                x = plot.vb.mapSceneToView(position).x()
                self._hovered = True
                self.readout.setText(self.describe(x, self.marks.near(x, plot, NEAR_MARK_PX)))
                return
        self._hovered = False  # off the plots: back to the idle text
        self._show_idle_text()

    def describe(self, step: float, changes: Sequence[SettingChange] = ()) -> str:
        """The hover text: the epoch nearest `step`, and the batch loss there or, on the marks of
        live changes, `changes` (a mark's name is left out where marks crowd; the two lines of
        the readout hold one or the other at 1024 pixels)."""
        history = self._history
        if not history.epochs:
            return ""
        e = min(history.epochs, key=lambda r: abs(r.step - step))
        text = f"epoch {e.epoch} · loss: train {significant(e.train_loss)}, test {significant(e.test_loss)}"
        if e.train_acc is not None and e.test_acc is not None:
            text += f" · accuracy: train {e.train_acc:.3f}, test {e.test_acc:.3f}"
        for change in changes:
            text += f" · at step {change.step}: {change.text}"
        if history.step_index and not changes:
            i = nearest_index(history.step_index, step)
            text += f" · batch loss {significant(history.step_loss[i])} at step {history.step_index[i]}"
        return text
