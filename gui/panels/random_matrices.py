"""d2l's product-of-random-matrices demonstration: the norm of M1·M2·…·Mk against k.
With unit-variance 4x4 factors it explodes; scale them down and it vanishes. Deep
nets multiply their Jacobians the same way."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.demos import random_matrix_products
from engine.numbers import significant
from gui.plotting import SparseAxis, cache_axes
from gui.widgets import LogSlider


class RandomMatricesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = LogSlider(-1, 1, steps_per_decade=10)
        self.scale.setValue(1.0)
        self.factors = QSpinBox(minimum=1, maximum=100, value=100)
        self.seed = QSpinBox(minimum=0, maximum=10_000, value=0)
        form = QFormLayout(rowWrapPolicy=QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: each field under its label
        form.addRow("Entry std (scale)", self.scale)
        form.addRow("Factors (4x4)", self.factors)
        form.addRow("Seed", self.seed)
        self.summary = QLabel(wordWrap=True)  # the network's column can be narrow
        # Against k: the axis says so (a longer title widened the plot). A SparseAxis: all powers, "10⁰" not "1" beside "10⁵".
        self.plot = pg.PlotWidget(title="‖M1·M2·…·Mk‖", axisItems={"left": SparseAxis("left")})
        item = self.plot.getPlotItem()
        item.setLogMode(y=True)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "number of factors k")
        cache_axes(item)
        self.curve = item.plot(pen=pg.mkPen("#9467bd", width=2), symbol="o", symbolSize=3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        self.scale.valueChanged.connect(lambda _: self.recompute())
        self.factors.valueChanged.connect(lambda _: self.recompute())
        self.seed.valueChanged.connect(lambda _: self.recompute())
        self.recompute()

    def recompute(self) -> None:
        norms = random_matrix_products(self.factors.value(), 4, self.scale.value(), self.seed.value())
        self.curve.setData(np.arange(1, len(norms) + 1), np.maximum(norms, 1e-300))
        self.summary.setText(f"After {len(norms)} factors the norm is {significant(norms[-1])} (scale {self.scale.value():g}).")
