"""Gradient flow: per-layer gradient norms on a log scale, now and over time, the
update/weight ratio against its 1e-3 rule of thumb, dead and saturated units, and
a one-line diagnosis. Vanishing gradients show as a staircase falling to the left."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.diagnosis import diagnose
from engine.numbers import significant
from engine.stats import SettingChange, Snapshot
from gui.plotting import SMALL_TITLE, ChangeMarks, HoverTip, SparseAxis, cache_axes, column_under, dots_if_lone, give_overhanging_title, graphics_layout, set_title, steady_plot, time_span

VERDICT_STYLES = {
    "healthy": "background:#d1e7dd; color:#0a3622",
    "slow": "background:#fff3cd; color:#664d03",
    "fading": "background:#fff3cd; color:#664d03",
    "faint": "background:#fff3cd; color:#664d03",
    "vanishing": "background:#fff3cd; color:#664d03",
    "exploding": "background:#f8d7da; color:#58151c",
    "diverged": "background:#f8d7da; color:#58151c",
    "dead": "background:#fff3cd; color:#664d03",
    "saturated": "background:#fff3cd; color:#664d03",
    "symmetric": "background:#fff3cd; color:#664d03",
}
TINY = 1e-30  # stands in for a zero norm under log10
UPDATE_RATIO_RULE = 1e-3  # Karpathy's rule of thumb for update / weight: far below learns slowly, far above is unstable
WIDE_PX = 900  # at least this wide: the four plots in a row, else two by two


def log_norms(norms: Sequence[float] | np.ndarray) -> np.ndarray:
    """log10 of gradient norms, a zero norm at log10(TINY): the bars and the image over time alike."""
    return np.log10(np.maximum(norms, TINY))


def measured(logs: np.ndarray) -> np.ndarray:
    """Where `log_norms` holds a norm to scale by: neither overflowed nor a zero's stand-in
    (log10(TINY) would stretch any scale over thirty decades)."""
    return np.isfinite(logs) & (logs > np.log10(TINY))


def layer_colour(index: int, count: int) -> str:
    """The update/weight curve's colour for layer `index` of `count`: hues around the wheel, dark
    enough to read on white (at full value, yellow, green and cyan names were hard to make out)."""
    return pg.intColor(index, hues=max(count, 2), maxValue=190).name()


def ratio_title(count: int) -> str:
    """The update/weight plot's title, with its key: each layer's name in its curve's colour (the
    first and last only past four, where the names would run past the plot)."""
    shown = range(count) if count <= 4 else (0, count - 1)
    key = (" " if count <= 4 else " … ").join(f"<span style='color:{layer_colour(i, count)}'><b>L{i + 1}</b></span>" for i in shown)
    return f"update / weight {key} (dashed: 1e-3)" if count else "update / weight (dashed: 1e-3)"


def health_title(activation: str) -> str:
    """What the health bars count for this activation: one "% dead ReLUs / saturated units" ran
    past its plot on a 1024-pixel screen, and named what the net could not have."""
    if activation == "relu":
        return "% dead ReLUs"
    if activation in ("sigmoid", "tanh"):
        return "% saturated units"
    return "dead / saturated units: n/a"


def layer_ticks(count: int) -> list[list[tuple[int, str]]]:
    """The first and last layer as major ticks, the others as minor ones: pyqtgraph always
    labels the major level and drops a lower one that would crowd the axis (nine layers on a
    heatmap 35 pixels high ran into one smudge)."""
    ends = sorted({0, count - 1}) if count else []
    return [[(i, f"L{i + 1}") for i in ends], [(i, f"L{i + 1}") for i in range(1, count - 1)]]


class GradientFlowPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnosis = QLabel("Train to see how gradients flow back through the layers.")
        self.diagnosis.setWordWrap(True)
        self.diagnosis.setStyleSheet("padding:4px")
        self.graphics = graphics_layout()
        self.norm_plot = self.graphics.addPlot(row=0, col=0, axisItems={"left": SparseAxis("left")})
        give_overhanging_title(self.norm_plot, "log10 ‖∇W‖ now, input → output", size=SMALL_TITLE)
        self.norm_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1f77b4")
        self.norm_plot.addItem(self.norm_bars)
        self.history_plot = steady_plot(self.graphics, headroom=(1.0, 0.0), slides=(True, False), row=0, col=1)
        give_overhanging_title(self.history_plot, "log10 ‖∇W‖ over time", size=SMALL_TITLE)
        self.history_image = pg.ImageItem(axisOrder="row-major")
        self.history_image.setColorMap(pg.colormap.get("inferno"))
        self.history_plot.addItem(self.history_image)
        self.history_plot.setLabel("bottom", "step")
        self.history_plot.getAxis("left").setTicks(layer_ticks(0))  # layers, none yet (not 0 to 1 in a smudge)
        self._history_steps = np.zeros(0)
        self._history_norms = np.zeros((0, 0))  # layers by probes, as drawn
        self._history_tip = HoverTip(self.graphics, self.history_plot, self.describe_history)
        self.ratio_plot = steady_plot(self.graphics, slides=(True, False), row=0, col=2, axisItems={"left": SparseAxis("left")})
        give_overhanging_title(self.ratio_plot, ratio_title(0), size=SMALL_TITLE)
        self.ratio_plot.setLogMode(y=True)
        self.ratio_plot.setLabel("bottom", "step")
        # The rule as a dashed segment under the curves' steps, which the view fits with them (an
        # InfiniteLine's bounds follow the view's own size: a tab fitted while hidden showed 1 to 5).
        self.step_plots = (self.history_plot, self.ratio_plot)  # plots over the run's steps
        self.marks = ChangeMarks(None, (self.ratio_plot,))
        self.ratio_rule = self.ratio_plot.plot(pen=pg.mkPen("#888", style=pg.QtCore.Qt.PenStyle.DashLine))
        # Before the first update: two decades each side of the rule, not pyqtgraph's 1 to 10.
        rule = math.log10(UPDATE_RATIO_RULE)
        self.ratio_plot.vb.setRange(yRange=(rule - 2, rule + 2), padding=0, disableAutoRange=False)
        self.ratio_curves: list[pg.PlotDataItem] = []
        self.health_plot = self.graphics.addPlot(row=0, col=3, axisItems={"left": SparseAxis("left")})
        give_overhanging_title(self.health_plot, health_title("relu"), size=SMALL_TITLE)
        self.health_plot.setYRange(0, 100)
        self.health_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#d62728")
        self.health_plot.addItem(self.health_bars)
        self._plots = [self.norm_plot, self.history_plot, self.ratio_plot, self.health_plot]
        for plot in self._plots:
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
        for plot in (self.norm_plot, self.health_plot):  # steady_plot cached the other two's axes
            cache_axes(plot)
        self._columns = 4
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.diagnosis)
        layout.addWidget(self.graphics, 1)
        self.verdict = ""
        self._drawn: tuple = ()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Four plots in a row when wide, two by two when narrow."""
        columns = 4 if event.size().width() >= WIDE_PX else 2
        if columns != self._columns:
            self._columns = columns
            for plot in self._plots:
                self.graphics.ci.removeItem(plot)
            for i, plot in enumerate(self._plots):
                self.graphics.ci.addItem(plot, row=i // columns, col=i % columns)
        super().resizeEvent(event)

    def refresh(self, snapshots: Sequence[Snapshot], activation: str, whole: Snapshot | None = None, changes: Sequence[SettingChange] = ()) -> None:
        """`snapshots`: the probes kept, lean; `whole`: the latest one whole, for the diagnosis.
        A lean probe has no per-unit means, so copies of one unit (constant init) went
        undiagnosed in the window: "Healthy" over 64 units that were one. `changes`: the
        settings changed live, marked on the update ratios (a rate raised fivefold lifts them)."""
        self.marks.show(changes)
        if not snapshots:
            return
        latest = snapshots[-1]
        drawn = (id(latest), len(snapshots), activation)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        previous = snapshots[-2] if len(snapshots) > 1 else None
        diagnosed = whole if whole is not None and whole.step == latest.step else latest
        self.verdict, sentence = diagnose(diagnosed, activation, previous)
        self.diagnosis.setText(f"<b>Step {latest.step}.</b> {sentence}")
        self.diagnosis.setStyleSheet(f"padding:4px; {VERDICT_STYLES.get(self.verdict, '')}")
        count = len(latest.layers)
        self._draw_norms(latest)
        self._draw_history(snapshots, count)
        self._draw_ratios(snapshots, count)
        self._draw_health(latest)
        set_title(self.health_plot, health_title(activation))
        for plot in (self.norm_plot, self.health_plot):
            plot.getAxis("bottom").setTicks(layer_ticks(count))
            plot.setXRange(-0.6, count - 0.4, padding=0)

    def _draw_norms(self, snapshot: Snapshot) -> None:
        logs = log_norms([layer.grad_norm for layer in snapshot.layers])
        finite = np.isfinite(logs)
        some = measured(logs)  # a zero norm (a dead layer) sets no scale: -30 squashed the others
        shown = logs[some] if some.any() else np.zeros(1)
        base = float(np.floor(shown.min())) - 1
        top = max(float(np.ceil(shown.max() + 0.25)), base + 1)  # whole decades: the axis moves rarely
        # A layer whose gradient overflowed (inf or NaN) gets a red bar up to the top; one without any, no bar.
        heights = np.where(finite, np.maximum(logs, base), top) - base
        brushes = [pg.mkBrush("#1f77b4" if ok else "#d62728") for ok in finite]
        self.norm_bars.setOpts(x=np.arange(len(logs)), height=heights, y0=base, brushes=brushes)
        self.norm_plot.setYRange(base, top, padding=0)

    def _draw_history(self, snapshots: Sequence[Snapshot], count: int) -> None:
        same_shape = [s for s in snapshots if len(s.layers) == count]
        self._history_steps = np.array([s.step for s in same_shape])
        self._history_norms = np.array([[layer.grad_norm for layer in s.layers] for s in same_shape]).T
        # Rows: layers, columns: probes. No gradient at all is left uncoloured (NaN draws
        # transparent): the scale's floor colour would read as the smallest norm measured.
        image = np.where(self._history_norms > 0, log_norms(self._history_norms), np.nan)
        finite = image[measured(image)]
        levels = (float(finite.min()), float(finite.max()) + 1e-9) if finite.size else (0.0, 1.0)
        self.history_image.setImage(image, autoLevels=False, levels=levels)
        first, last = time_span(self._history_steps)
        self.history_image.setRect(first, -0.5, last - first, count)
        self.history_plot.getAxis("left").setTicks(layer_ticks(count))

    def describe_history(self, step: float, row: float) -> str | None:
        """The hover text over the norms over time: the layer's gradient norm at the probe drawn there."""
        layer = round(row)
        probe = column_under(step, self._history_steps)
        if probe is None or not 0 <= layer < len(self._history_norms):
            return None
        return f"L{layer + 1} at step {self._history_steps[probe]}: ‖∇W‖ {significant(self._history_norms[layer, probe])}"

    def _draw_ratios(self, snapshots: Sequence[Snapshot], count: int) -> None:
        while len(self.ratio_curves) < count:
            i = len(self.ratio_curves)
            self.ratio_curves.append(self.ratio_plot.plot(name=f"L{i + 1}"))
        # Probes after an update. Not "the first layer's ratio is above 0": a deep vanishing net's
        # first layers do not change at all (engine.diagnosis.unchanged_layers), which left the
        # plot blank.
        same_shape = [s for s in snapshots if len(s.layers) == count and any(layer.update_ratio > 0 for layer in s.layers)]
        steps = np.array([s.step for s in same_shape], dtype=float)
        span = [steps[0], steps[-1]] if same_shape else []
        self.ratio_rule.setData(span, [UPDATE_RATIO_RULE] * len(span))
        set_title(self.ratio_plot, ratio_title(count))
        for i, curve in enumerate(self.ratio_curves):
            if i >= count or not same_shape:
                curve.setData([], [])
                continue
            ratios = np.array([s.layers[i].update_ratio or np.nan for s in same_shape])  # no change: a gap, not 1e-30 down the view
            colour = layer_colour(i, count)
            curve.setData(steps, ratios, pen=pg.mkPen(colour, width=1.5), connect="finite", **dots_if_lone(ratios, colour))

    def _draw_health(self, snapshot: Snapshot) -> None:
        shares = [layer.dead_fraction if layer.dead_fraction is not None else layer.saturated_fraction for layer in snapshot.layers]
        heights = np.array([100 * s if s is not None else 0.0 for s in shares])
        brushes = [pg.mkBrush("#d62728" if h > 50 else "#ff7f0e" if h > 10 else "#2ca02c") for h in heights]
        # A layer with nothing to count (the output layer has no activation) gets no bar at all:
        # its outline at zero read as "0 % dead".
        pens = [pg.mkPen(None) if s is None else pg.getConfigOption("foreground") for s in shares]
        self.health_bars.setOpts(x=np.arange(len(heights)), height=heights, brushes=brushes, pens=pens)
