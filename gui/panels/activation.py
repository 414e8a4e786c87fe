"""Activation explorer: the activation and, under it, its derivative over [-8, 8], as in
d2l's figures, the derivative over the chosen layer's pre-activation histogram: where on
the curve do the units live? Deep in a sigmoid's flat tails, the derivative, and so the
gradient, is almost zero."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.demos import activation_and_derivative
from engine.numbers import significant
from engine.stats import Snapshot
from gui.plotting import cache_axes, graphics_layout

X = np.linspace(-8, 8, 401)
SLIVER = 0.5  # pre-activations spanning less are a few pixels wide over [-8, 8]: the caption gives their range


class ActivationPanel(QWidget):
    """f on top, f′ below on a scale of its own: on one axis ReLU's f reached 8 and squeezed f′
    (0 to 1) and the histogram into the bottom ninth of the plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.graphics = graphics_layout()
        self.function_plot = self.graphics.addPlot(row=0, col=0)
        self.derivative_plot = self.graphics.addPlot(row=1, col=0)
        self.derivative_plot.setXLink(self.function_plot)
        self.derivative_plot.setTitle("f′(x)")  # its one curve; the caption names the grey (a legend hid the tallest bins)
        for plot in (self.function_plot, self.derivative_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setXRange(-8, 8, padding=0.01)
            cache_axes(plot)
        self.function = self.function_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.histogram = self.derivative_plot.plot(stepMode="center", fillLevel=0, pen=pg.mkPen("#bbb"), brush=pg.mkBrush(180, 180, 180, 110))
        self.derivative = self.derivative_plot.plot(pen=pg.mkPen("#d62728", width=2, style=pg.QtCore.Qt.PenStyle.DashLine))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.graphics, 1)
        self._activation = ""
        self._peak = 1.0  # f′'s largest value over the plot: the histogram's tallest bin reaches it
        self._drawn: tuple = ()

    def refresh(self, activation: str, snapshot: Snapshot | None, layer: int) -> None:
        if activation != self._activation:
            self._activation = activation
            y, dy = activation_and_derivative(activation, X)
            self.function.setData(X, y)
            self.derivative.setData(X, dy)
            self._peak = float(dy.max()) or 1.0
            self.function_plot.setTitle(f"{activation}: f(x)")  # short: the panel can be 220 pixels wide
        drawn = (id(snapshot), layer, activation)
        if snapshot is None or drawn == self._drawn or not 0 <= layer < len(snapshot.layers):
            return
        self._drawn = drawn
        probe = snapshot.layers[layer]
        if layer == len(snapshot.layers) - 1:  # its values go out as they are: no unit sits on f
            self.histogram.clear()
            self.caption.setText(
                f"{probe.name} is the output layer, which has no activation: choose a hidden layer under Histograms "
                "to see where its units sit on f." if layer else "No hidden layer: nothing goes through an activation."
            )
            return
        hist = probe.histograms["pre"]
        top = float(hist.counts.max()) or 1.0
        self.histogram.setData(hist.edges, hist.counts / top * self._peak)  # on f′'s scale: sigmoid's peaks at 1/4
        span = f"[{significant(hist.lo)}, {significant(hist.hi)}]"
        if hist.lo < -8 or hist.hi > 8:
            extent = f" (its range {span} is wider than the plot)"
        elif hist.hi - hist.lo < SLIVER:  # a small init's: hidden under f′'s step at 0, the grey looked missing
            extent = f" (all within {span}: a sliver at this scale)"
        else:
            extent = ""
        self.caption.setText(f"Grey: the pre-activations of {probe.name} at step {snapshot.step}, tallest bin as high as f′'s peak{extent}. "
                             "Units where f′ is near 0 pass almost no gradient back.")
