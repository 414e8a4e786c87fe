"""Experiments side by side: the loss curves of every variant, and what each has learned.

The variants train in their own QThread (ComparisonWorker) while the main run's
worker keeps its model; the panel only receives epochs (each with what its
variant has learned by then) and the outcomes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QThread, QTimer, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from engine.errors import EngineError
from engine.experiments import TRUE_POLYNOMIAL, Learned, Outcome, Variant, VariantEpoch, compare
from engine.numbers import significant
from gui.plotting import SparseAxis, add_legend_row, cache_axes, give_overhanging_title, graphics_layout, steady_plot
from gui.worker import NumberedWorker

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
# What each variant has learned is redrawn at most this often: the polynomial's variants finish
# some sixty epochs a second, and the eye follows a few changes a second.
LEARNED_REDRAW_MS = 200


class ComparisonWorker(NumberedWorker):
    """Trains one experiment's variants; cancelled, it stops between two steps."""

    epoch = Signal(int, object)  # run, VariantEpoch
    outcomes = Signal(int, object)  # run, list[Outcome]

    def __init__(self, variants: list[Variant], number: int) -> None:
        super().__init__(number)
        self.variants = variants

    @Slot()
    def run(self) -> None:
        try:
            for item in compare(self.variants, self._cancelled.is_set, self.report_download):
                if isinstance(item, VariantEpoch):
                    self.epoch.emit(self.number, item)
                else:
                    self.outcomes.emit(self.number, item)
        except EngineError as exc:
            self.failed.emit(self.number, str(exc))
        finally:
            self.finished.emit()


HOVER_HINT = "Hover the losses to read every variant's at an epoch."
CHOOSE = (
    "Each experiment trains its variants side by side, from scratch and in the background: "
    "your run keeps its model. Choose one here or in the Experiments menu."
)


class ComparisonPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(CHOOSE)
        self.summary.setWordWrap(True)
        # Until the first run the plots would be empty: the experiments are offered in their place.
        self.choices = QWidget()
        self._choice_list = QVBoxLayout(self.choices)
        self._choice_list.addStretch(1)  # the choices at the top
        self.graphics = graphics_layout()
        # Titles overhang their plots rather than widen them: at 1024 px the loss title pushed the other plot out of view.
        self.loss_plot = steady_plot(self.graphics, row=0, col=0, axisItems={"left": SparseAxis("left")})  # a log axis: 10, not "10¹"
        give_overhanging_title(self.loss_plot, "loss (solid: test, dashed: train)")
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.setLabel("bottom", "epoch")
        # Before any run: 0.01 to 10, not pyqtgraph's 1 to 10 with a label on every minor tick.
        self.loss_plot.vb.setRange(yRange=(-2, 1), padding=0, disableAutoRange=False)
        self.outcome_plot = self.graphics.addPlot(row=0, col=1)
        give_overhanging_title(self.outcome_plot, "what each learned")
        cache_axes(self.outcome_plot)
        # A variant has one colour in both plots. Over the losses the legend hid the worst
        # variant's curve (model selection's degree 1, flat at the top left).
        self.legend = add_legend_row(self.graphics, row=1, colspan=2)
        self.graphics.viewport().installEventFilter(self)  # its width decides the legend's lines
        self.choices_page = QScrollArea()  # the list outgrows a short dock
        self.choices_page.setWidget(self.choices)
        self.choices_page.setWidgetResizable(True)
        self.choices_page.setFrameShape(QFrame.Shape.NoFrame)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.choices_page)
        self.pages.addWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        # Under the summary once a run begins: the losses of every variant at the epoch hovered.
        self.readout = QLabel(HOVER_HINT)
        self.readout.setWordWrap(True)
        self.readout.setFixedHeight(2 * self.readout.fontMetrics().lineSpacing() + 2)  # the plots stay put as it changes
        self.readout.hide()
        self._hover = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        layout.addWidget(self.summary)
        layout.addWidget(self.readout)
        layout.addWidget(self.pages, 1)
        self.name = ""
        self.labels: list[str] = []
        self._training_text = ""
        self.curves: dict[tuple[int, str], pg.PlotDataItem] = {}
        self.points: dict[tuple[int, str], list[tuple[int, float]]] = {}
        self.results: list[Outcome] = []
        self.learned: dict[int, Learned] = {}  # by variant: the latest heard of
        self._learned_timer = QTimer(self, singleShot=True, interval=LEARNED_REDRAW_MS)
        self._learned_timer.timeout.connect(self._draw_learned)
        self._thread: QThread | None = None
        self._worker: ComparisonWorker | None = None
        self._stragglers: list[tuple[QThread, ComparisonWorker]] = []
        self._run = 0  # the number of the run shown: signals of earlier ones are ignored

    def offer(self, choices: list[tuple[QAction, str]]) -> None:
        """A button for each of the Experiments menu's actions (its text, tip and state) over its
        description, what it shows, until the first run."""
        for action, description in choices:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            about = QLabel(description)
            about.setWordWrap(True)
            about.setStyleSheet("color:#555; margin-left:12px; margin-bottom:6px")
            at = self._choice_list.count() - 1  # above the stretch
            self._choice_list.insertWidget(at, button, 0, Qt.AlignmentFlag.AlignLeft)
            self._choice_list.insertWidget(at + 1, about)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.graphics.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_legend(event.size().width())
        return False

    def _fit_legend(self, width: int) -> None:
        """The variants three to a line where the plots are `width` wide enough, else two: three
        long names ("degree 19 (20 features)") held the plots wider than a 1024-pixel screen's dock."""
        self.legend.setColumnCount(3)
        self.graphics.ci.layout.invalidate()  # its size hints were cached for the last column count
        if self.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() > width:  # the legend with the layout's margins
            self.legend.setColumnCount(2)

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, name: str, variants: list[Variant]) -> None:
        self.stop()
        self.pages.setCurrentWidget(self.graphics)
        self.readout.setText(HOVER_HINT)
        self.readout.show()
        self.name, self.results, self.labels = name, [], [v.label for v in variants]
        self.loss_plot.clear()
        self.legend.clear()
        self._learned_timer.stop()
        self.learned.clear()
        self._draw_learned()
        self.curves.clear()
        self.points.clear()
        for i, variant in enumerate(variants):
            colour = COLOURS[i % len(COLOURS)]
            self.curves[(i, "test")] = self.loss_plot.plot(pen=pg.mkPen(colour, width=2))
            self.legend.addItem(self.curves[(i, "test")], variant.label)
            self.curves[(i, "train")] = self.loss_plot.plot(pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine))
        self._fit_legend(self.graphics.viewport().width())
        self._training_text = f"<b>{name}</b>: training {len(variants)} variants side by side…"
        self.summary.setText(self._training_text)
        self._run += 1
        run = self._run
        thread, worker = QThread(), ComparisonWorker(variants, run)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.epoch.connect(self._on_epoch)
        worker.outcomes.connect(self._on_outcomes)
        worker.failed.connect(self._on_failed)
        worker.download.connect(self._on_download)
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(lambda: self._on_finished(run))
        self._thread, self._worker = thread, worker
        thread.start()

    def stop(self, wait_ms: int = 1500) -> None:
        """End the run in progress (between two steps) and wait for its thread, bounded: one still
        busy (loading its data) is heard no more and stays referenced, since a QThread destroyed
        while running aborts the program."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        worker.cancel()
        if not thread.wait(wait_ms):
            self._stragglers.append((thread, worker))
        self._thread = self._worker = None

    def _on_finished(self, run: int) -> None:
        if run == self._run:  # not a stopped run's thread, ending after a new one began
            self._thread = self._worker = None

    # ------------------------------------------------------------------ drawing
    def _on_failed(self, run: int, reason: str) -> None:
        if run != self._run:
            return
        self.summary.setText(f"<b>{self.name}</b> could not run: {reason}")
        if not self.points:  # nothing drawn (no data, a download failed): the experiments again, not empty axes
            self.pages.setCurrentWidget(self.choices_page)
            self.readout.hide()

    def _on_download(self, run: int, file: str, done: int, total: int) -> None:
        """The variants' dataset downloads before they train (Fashion-MNIST, the first time)."""
        if run != self._run:
            return
        share = f"{done / total:.0%}" if total else f"{done / 1e6:.1f} MB"
        self.summary.setText(self._training_text if total and done >= total else f"<b>{self.name}</b>: downloading {file}, {share}…")

    def _on_epoch(self, run: int, item: VariantEpoch) -> None:
        if run != self._run:  # a stopped run's last epoch drew into this run's curves, or failed on them
            return
        report = item.report
        for kind, value in (("train", report.train_loss), ("test", report.test_loss)):
            points = self.points.setdefault((item.index, kind), [])
            points.append((report.epoch, max(value, 1e-12)))
            xs, ys = zip(*points)
            self.curves[(item.index, kind)].setData(xs, ys)
        self.learned[item.index] = item.learned
        if not self._learned_timer.isActive():
            self._learned_timer.start()

    def _on_mouse(self, event: tuple[QPointF]) -> None:
        position = event[0]
        if not self.loss_plot.sceneBoundingRect().contains(position):
            self.readout.setText(HOVER_HINT)
            return
        self.readout.setText(self.describe(round(self.loss_plot.vb.mapSceneToView(position).x())))

    def describe(self, epoch: int) -> str:
        """Each variant's test and train loss at `epoch`, by its label's first words in its curve's
        colour (two lines hold three variants on a small screen); a variant whose run is shorter
        (or not that far yet) is left out."""
        parts = []
        for i, label in enumerate(self.labels):
            test, train = (self.points.get((i, kind), []) for kind in ("test", "train"))
            if 1 <= epoch <= len(test):  # one point per epoch, from epoch 1
                colour = COLOURS[i % len(COLOURS)]
                parts.append(f"<span style='color:{colour}'><b>{label.split(' (')[0]}</b></span>: test {significant(test[epoch - 1][1])}, train {significant(train[epoch - 1][1])}")
        return f"epoch {epoch} · " + " · ".join(parts) if parts else HOVER_HINT

    def _on_outcomes(self, run: int, outcomes: list[Outcome]) -> None:
        if run != self._run:
            return
        self.results = outcomes
        self.loss_plot.vb.fit()  # the runs are over: no more room to grow
        lines = [f"<b>{self.name}</b>"]
        for o in outcomes:
            state = f" — diverged: {o.diverged}" if o.diverged else ""
            train, test = (significant(loss, 4, trailing_zeros=True) for loss in (o.train_loss, o.test_loss))
            lines.append(f"{o.label}: train {train}, test {test}, ‖W‖ {significant(o.learned.weight_norm)}{state}")
        self.summary.setText("<br>".join(lines))
        self._learned_timer.stop()
        self.learned = {i: o.learned for i, o in enumerate(outcomes)}
        self._draw_learned()

    def _draw_learned(self) -> None:
        """What each variant has learned so far, by the kind of experiment: the fits over 1-D
        data, the polynomial's weights beside the true ones, else the weight norms."""
        plot = self.outcome_plot
        plot.clear()
        plot.getAxis("bottom").setTicks(None)  # the norms' labels, from an earlier run
        shown = sorted(self.learned.items())
        if not shown:
            plot.setTitle("what each learned")
        elif len(shown[0][1].fit_x):
            self._draw_fits(shown)
        elif self.name.startswith("Model selection"):
            self._draw_polynomial_weights(shown)
        else:
            self._draw_norms(shown)

    def _draw_fits(self, shown: list[tuple[int, Learned]]) -> None:
        plot = self.outcome_plot
        plot.setTitle("fits over the data")
        for i, learned in shown:
            plot.plot(learned.fit_x, learned.fit_y, pen=pg.mkPen(COLOURS[i % len(COLOURS)], width=2))
        first = shown[0][1]
        plot.plot(first.train_x, first.train_y, pen=None, symbol="o", symbolSize=7, symbolBrush="#333")
        x = np.linspace(first.fit_x.min(), first.fit_x.max(), 2)
        plot.plot(x, x, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))  # the true line y = x

    def _draw_polynomial_weights(self, shown: list[tuple[int, Learned]]) -> None:
        plot = self.outcome_plot
        plot.setTitle("weights (grey: true)")
        count = max(learned.first_weights.shape[1] for _, learned in shown)
        truth = np.zeros(count)
        truth[: len(TRUE_POLYNOMIAL)] = TRUE_POLYNOMIAL
        width = 0.8 / (len(self.labels) + 1)  # room for every variant: the bars stay put as more report
        plot.addItem(pg.BarGraphItem(x=np.arange(count) - 0.4 + width / 2, height=truth, width=width, brush="#bbb"))
        for i, learned in shown:
            weights = learned.first_weights[0].copy()
            weights[0] += learned.first_bias[0]  # the bias and the x^0 feature share the constant term
            x = np.arange(len(weights)) - 0.4 + width * (i + 1.5)
            plot.addItem(pg.BarGraphItem(x=x, height=weights, width=width, brush=COLOURS[i % len(COLOURS)]))

    def _draw_norms(self, shown: list[tuple[int, Learned]]) -> None:
        plot = self.outcome_plot
        plot.setTitle("weight norm ‖W‖")
        norms = {i: learned.weight_norm for i, learned in shown}
        for i in range(len(self.labels)):  # a flat bar until a variant reports: each keeps its place
            plot.addItem(pg.BarGraphItem(x=[i], height=[norms.get(i, 0.0)], width=0.6, brush=COLOURS[i % len(COLOURS)]))
        plot.getAxis("bottom").setTicks([list(enumerate(self.labels))])
