"""Per-layer histograms of activations, gradients and weights, and how they evolve.

Five live histograms for the chosen layer, plus an "over time" heatmap: one
column per probe, one row per value bin, brightness = share of the values. The
engine keeps each histogram's range fixed unless the values outgrow it, and the
heatmap re-bins older columns onto the newest range so columns stay comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.numbers import significant
from engine.stats import HISTOGRAM_KINDS, HISTOGRAM_TITLES, Histogram, LayerProbe, Snapshot
from gui.plotting import SMALL_TITLE, HoverTip, SparseAxis, cache_axes, column_under, give_overhanging_title, graphics_layout, set_title, steady_plot, steady_range, time_span

LIVE_KINDS = ("pre", "act", "act_grad", "weight", "weight_grad")
OVER_TIME = "over time"  # the heatmap, as a plot of the panel beside LIVE_KINDS
HEATMAP_FLOOR = -4  # log10 of the smallest share that gets a colour
OUTPUT_ACTIVATIONS = "outputs"  # the output layer's "activations": its pre-activations, for it has no activation
KIND_COLOURS = {"pre": "#9467bd", "act": "#2ca02c", "act_grad": "#ff7f0e", "weight": "#1f77b4", "weight_grad": "#d62728"}


def rebin(hist: Histogram, lo: float, hi: float, bins: int) -> np.ndarray:
    """`hist`'s counts moved onto `bins` bins over [lo, hi] (each old bin goes where its centre falls)."""
    if (hist.lo, hist.hi, len(hist.counts)) == (lo, hi, bins):  # the usual case: ranges are sticky
        return hist.counts
    edges = hist.edges
    centres = (edges[:-1] + edges[1:]) / 2
    counts, _ = np.histogram(np.clip(centres, lo, hi), bins=bins, range=(lo, hi), weights=hist.counts)
    return counts


def over_time(snapshots: Sequence[Snapshot], layer: int, kind: str) -> tuple[np.ndarray, float, float, list[int]] | None:
    """(image with one row per probe and one column per bin, lo, hi, steps): each row holds
    the share of that probe's values in each bin."""
    hists = [(s.step, s.layers[layer].histograms.get(kind)) for s in snapshots if layer < len(s.layers)]
    hists = [(step, h) for step, h in hists if h is not None]
    if not hists:
        return None
    lo = min(h.lo for _, h in hists)
    hi = max(h.hi for _, h in hists)
    bins = len(hists[-1][1].counts)
    image = np.array([rebin(h, lo, hi, bins) for _, h in hists], dtype=float)
    totals = image.sum(axis=1, keepdims=True)
    image = np.divide(image, totals, out=np.zeros_like(image), where=totals > 0)
    return image, lo, hi, [step for step, _ in hists]


def layer_summary(probe: LayerProbe) -> str:
    parts = [
        f"‖W‖ {significant(probe.weight_norm)}",
        f"‖∇W‖ {significant(probe.grad_norm)}",
        f"update/weight {significant(probe.update_ratio, 2)}",
        f"activation mean {significant(probe.act_mean)} ± {significant(probe.act_std)}",
    ]
    if probe.dead_fraction is not None:
        parts.append(f"dead ReLUs {probe.dead_fraction:.0%}")
    if probe.saturated_fraction is not None:
        parts.append(f"saturated {probe.saturated_fraction:.0%}")
    return " · ".join(parts)


class HistogramsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.setToolTip("The Linear layer whose values are shown")
        self.layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # Its names are short and all of them count ("L1 64→2" for 64→256 misleads): on a narrow
        # screen the "over time" list, sized for its longest entry, gives way instead.
        self.layer.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.log_counts = QCheckBox("log counts")
        self.heatmap_kind = QComboBox()
        for kind in HISTOGRAM_KINDS:
            self.heatmap_kind.addItem(HISTOGRAM_TITLES[kind], kind)
        self.heatmap_kind.setCurrentIndex(HISTOGRAM_KINDS.index("act"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Layer"))
        bar.addWidget(self.layer)
        bar.addWidget(self.log_counts)
        bar.addStretch(1)
        bar.addWidget(QLabel("Over time:"))
        bar.addWidget(self.heatmap_kind)

        self.graphics = graphics_layout()
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for i, kind in enumerate(LIVE_KINDS):
            plot = self.graphics.addPlot(row=i // 3, col=i % 3, axisItems={"left": SparseAxis("left"), "bottom": SparseAxis("bottom")})
            give_overhanging_title(plot, HISTOGRAM_TITLES[kind], size=SMALL_TITLE)  # the size stays for later titles
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.disableAutoRange()  # ranges move only when the data outgrow them: no axis redraw per probe
            cache_axes(plot)
            colour = KIND_COLOURS[kind]
            self.curves[kind] = plot.plot(stepMode="center", fillLevel=0, pen=pg.mkPen(colour), brush=pg.mkBrush(colour + "80"))
            self.plots[kind] = plot
        self.heatmap_plot = steady_plot(self.graphics, headroom=(1.0, 0.0), slides=(True, False), row=1, col=2, axisItems={"left": SparseAxis("left")})
        give_overhanging_title(self.heatmap_plot, "over time", size=SMALL_TITLE)
        self.heatmap_plot.setLabel("bottom", "step")
        self.step_plots = (self.heatmap_plot,)  # plots over the run's steps
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(pg.colormap.get("viridis"))
        self.heatmap_plot.addItem(self.heatmap)
        self._over_time: tuple[np.ndarray, float, float, list[int]] | None = None  # as drawn
        self._heatmap_tip = HoverTip(self.graphics, self.heatmap_plot, self.describe_over_time)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.graphics, 1)
        self._snapshots: Sequence[Snapshot] = ()
        self._drawn: tuple = ()  # what the plots show now, to skip redrawing the same thing
        self._behind: list[str] = []  # plots that do not show it yet (of LIVE_KINDS and OVER_TIME)
        self._y_view: dict[str, tuple[float, float]] = {}
        self._x_range: dict[str, tuple[float, float]] = {}
        self.layer.currentIndexChanged.connect(lambda _: self.refresh(self._snapshots))
        self.heatmap_kind.currentIndexChanged.connect(lambda _: self.refresh(self._snapshots))
        self.log_counts.toggled.connect(self._set_log)

    def set_layers(self, names: Sequence[str]) -> None:
        """A new model: list its layers, keeping the choice when the count is unchanged."""
        keep = self.layer.currentIndex()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(names))
        self.layer.setCurrentIndex(keep if 0 <= keep < len(names) else 0)
        self.layer.blockSignals(False)

    def select_layer(self, index: int) -> None:
        self.layer.setCurrentIndex(index)

    def _set_log(self, on: bool) -> None:
        for plot in self.plots.values():
            plot.setLogMode(y=on)
        self._y_view.clear()
        self.refresh(self._snapshots)

    def refresh(self, snapshots: Sequence[Snapshot], one_plot: bool = False) -> bool:
        """Redraw from the probes kept so far (the last is the newest). one_plot: draw the
        next plot that is behind and say whether others still are. The window's timer
        spreads the panel over passes of its event loop that way: one plot's paint is short,
        where all six at once held the GUI thread for 20-60 ms while training ran."""
        self._snapshots = snapshots
        index = self.layer.currentIndex()
        if not snapshots or index < 0 or index >= len(snapshots[-1].layers):
            return False
        probe = snapshots[-1].layers[index]
        drawn = (id(snapshots[-1]), len(snapshots), index, self.heatmap_kind.currentIndex(), self.log_counts.isChecked())
        if drawn != self._drawn:
            self._drawn = drawn
            self._behind += [part for part in (*LIVE_KINDS, OVER_TIME) if part not in self._behind]  # the longest behind first
            self.summary.setText(f"{probe.name} at step {snapshots[-1].step}: {layer_summary(probe)}")
        while self._behind:
            part = self._behind.pop(0)
            if part == OVER_TIME:
                self._refresh_heatmap(index)
            else:
                title = self._title(part, index)
                if title == OUTPUT_ACTIVATIONS:
                    title += ": no activation"  # the pre-activations again, and the plot says why
                self._draw_histogram(part, probe.histograms.get(part), title)
            if one_plot:
                break
        return bool(self._behind)

    def _draw_histogram(self, kind: str, hist: Histogram | None, title: str) -> None:
        """`title` says what the plot shows: the output layer has no activation, so its
        activations are its pre-activations again, and their plot says so."""
        curve = self.curves[kind]
        if hist is None:
            curve.setData([], [])
            set_title(self.plots[kind], f"{title} (none yet)")
            return
        counts = hist.counts.astype(float)
        if self.log_counts.isChecked():
            counts = counts + 1  # log of an empty bin
        curve.setData(hist.edges, counts)
        self._fit_range(kind, hist, counts)
        if hist.nonfinite:
            title += f' <span style="color:#d62728">({hist.nonfinite} NaN/Inf)</span>'
        set_title(self.plots[kind], title)

    def _fit_range(self, kind: str, hist: Histogram, counts: np.ndarray) -> None:
        """x follows the bins' range; y keeps a steady range over the tallest bar, so the axes
        (costly to draw) rarely change."""
        plot = self.plots[kind]
        if self._x_range.get(kind) != (hist.lo, hist.hi):
            self._x_range[kind] = (hist.lo, hist.hi)
            plot.setXRange(hist.lo, hist.hi, padding=0.02)
        peak = max(float(counts.max()) if len(counts) else 1.0, 1.0)
        shown = (0.0, np.log10(peak) if self.log_counts.isChecked() else peak)
        view = self._y_view.get(kind, (0.0, 0.0))
        wanted = steady_range(view, shown, headroom=0.15, non_negative=True)
        if wanted != view:
            self._y_view[kind] = wanted
            plot.setYRange(*wanted, padding=0)

    def _refresh_heatmap(self, layer: int) -> None:
        kind = self.heatmap_kind.currentData()
        result = self._over_time = over_time(self._snapshots, layer, kind)
        if result is None:
            self.heatmap.clear()
            return
        image, lo, hi, steps = result
        # Shares span decades (a spike at 0 beside long tails): colour by log10 of the share.
        shade = np.log10(np.maximum(image, 10.0**HEATMAP_FLOOR))
        self.heatmap.setImage(shade.T, autoLevels=False, levels=(HEATMAP_FLOOR, 0.0))
        first, last = time_span(steps)
        self.heatmap.setRect(first, lo, last - first, hi - lo)
        set_title(self.heatmap_plot, f"{self._title(kind, layer)} over time")

    def _title(self, kind: str, layer: int) -> str:
        """What a histogram of `kind` shows on `layer`: the output layer's activations are its outputs."""
        output = bool(self._snapshots) and layer == len(self._snapshots[-1].layers) - 1
        return OUTPUT_ACTIVATIONS if kind == "act" and output else HISTOGRAM_TITLES[kind]

    def describe_over_time(self, step: float, value: float) -> str | None:
        """The hover text over the heatmap: the share of the values in the bin under the mouse, at the probe drawn there."""
        if self._over_time is None:
            return None
        image, lo, hi, steps = self._over_time
        bins = image.shape[1]
        row = column_under(step, steps)  # a column of the picture, a row of `image`
        if row is None or not lo <= value <= hi:
            return None
        column = min(int((value - lo) / (hi - lo) * bins), bins - 1)
        width = (hi - lo) / bins
        start = lo + column * width
        end = "]" if column == bins - 1 else ")"  # the last bin holds its top edge
        share = image[row, column]
        amount = f"{100 * share:.2g} % of the values" if share else "no values"  # the colours reach down to 0.01 %
        return f"step {steps[row]}: {amount} in [{significant(start)}, {significant(start + width)}{end}"
