"""Predictions: test images with true and predicted labels, mistakes first, and the confusion matrix.

d2l's predict_ch3 shows a few test images with both labels; here the gallery
leads with the model's most confident mistakes, and the confusion matrix says
which classes it mixes up. A regression shows each test target against its
prediction instead. All redraw once per epoch, from plain numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from engine.numbers import significant
from engine.predictions import Fit, Predictions
from gui.plotting import give_overhanging_title, set_title

TILE_PX = 56  # each test image, scaled up without smoothing
TILE_WIDTH = 96  # image plus its caption
CELL_POINTS = (8.0, 7.0)  # the confusion matrix's numbers: the first size that fits a cell
WRONG, RIGHT = "#d62728", "#2ca02c"
NOT_DRAWN = object()  # what the panel shows before its first refresh (None means "no predictions yet")


def grey_pixmap(image: np.ndarray, side: int = TILE_PX) -> QPixmap:
    """A [0, 1] image as a grey pixmap, pixels kept sharp."""
    data = np.ascontiguousarray(np.clip(image * 255, 0, 255).astype(np.uint8))
    h, w = data.shape
    qimage = QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()  # copy: own the pixels
    return QPixmap.fromImage(qimage).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


class Tile(QWidget):
    """One test example: the image, and its predicted and true labels."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.image)
        layout.addWidget(self.caption)
        self.setFixedWidth(TILE_WIDTH)

    def show_example(self, image: np.ndarray, predicted: str, true: str, confidence: float) -> None:
        self.image.setPixmap(grey_pixmap(image))
        right = predicted == true
        colour = RIGHT if right else WRONG
        label = short(true) if right else f"{short(predicted)}<br><span style='color:#555'>is {short(true)}</span>"
        self.caption.setText(f"<span style='color:{colour}'>{label}</span>")
        self.setToolTip(f"predicted {predicted} ({confidence:.0%} sure), true {true}")


def short(name: str) -> str:
    """Fashion-MNIST's 'T-shirt/top' reads 'T-shirt' under a tile."""
    return name.split("/")[0]


def row_shares(confusion: np.ndarray) -> np.ndarray:
    """Each cell's share of its row: of the examples of a true class, how many went where."""
    return confusion / np.maximum(confusion.sum(1, keepdims=True), 1)


def matrix_ticks(class_names: Sequence[str]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The confusion matrix's (true, predicted) axis labels: the class names on both axes, except
    where many long names would run into each other side by side (Fashion-MNIST's ten): there the
    predicted axis numbers the classes and the true axis gives each name its number."""
    names = [short(name) for name in class_names]
    numbered = len(names) > 3 and any(len(name) > 2 for name in names)
    left = [(i, f"{i} {name}" if numbered else name) for i, name in enumerate(names)]
    bottom = [(i, str(i) if numbered else name) for i, name in enumerate(names)]
    return left, bottom


def summary_text(p: Predictions) -> str:
    """The line over the gallery and the matrix. A set of points, not images, has no gallery:
    its line told of mistakes in red over nothing but the matrix."""
    accuracy = 1 - p.wrong / max(1, p.total)
    score = f"<b>Epoch {p.epoch}</b> (step {p.step}): {p.wrong:,} of {p.total:,} test examples misclassified, accuracy {accuracy:.1%}."
    if has_images(p):
        return (
            f"{score} The most confident mistakes come first: <span style='color:{WRONG}'>the prediction in red</span>, "
            f"the true label under it; <span style='color:{RIGHT}'>correct ones in green</span>."
        )
    return f"{score} Each row of the matrix is a true class, each column a prediction: off the diagonal, the mistakes."


def has_images(p: Predictions) -> bool:
    return p.images.ndim == 3 and len(p.images) > 0


class PredictionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Predictions on the test set appear once a classifier is ready.")
        self.summary.setWordWrap(True)
        self.tiles: list[Tile] = []
        self.gallery_grid = QGridLayout()
        self.gallery_grid.setSpacing(2)
        gallery_inner = QWidget()
        gallery_column = QVBoxLayout(gallery_inner)
        gallery_column.addLayout(self.gallery_grid)
        gallery_column.addStretch(1)
        self.gallery = QScrollArea()
        self.gallery.setWidget(gallery_inner)
        self.gallery.setWidgetResizable(True)
        self.gallery.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.graphics = pg.GraphicsLayoutWidget()
        self.matrix_plot = self.graphics.addPlot()
        # Its title changes with what the cells show: it must not set the plot's least width.
        give_overhanging_title(self.matrix_plot, "confusion matrix")
        self.matrix_plot.setLabel("left", "true")
        self.matrix_plot.setLabel("bottom", "predicted")
        for side in ("left", "bottom"):  # ticks outside the matrix: inside they crossed the last row's numbers
            self.matrix_plot.getAxis(side).setStyle(tickLength=5)
        self.matrix_plot.invertY(True)
        self.matrix_plot.setMouseEnabled(False, False)
        self.matrix_plot.hideButtons()
        self.matrix_image = pg.ImageItem(axisOrder="row-major")
        self.matrix_image.setColorMap(pg.colormap.get("CET-L12"))  # white to blue
        self.matrix_plot.addItem(self.matrix_image)
        self.cell_texts: list[pg.TextItem] = []
        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self.matrix_plot.vb.sigResized.connect(lambda *_: self._label_cells())
        self.body = QSplitter()
        self.body.addWidget(self.gallery)
        self.body.addWidget(self.graphics)
        # Shares of the width: two columns of tiles in a 1366-pixel window, and the rest to the
        # matrix, whose ten columns of Fashion-MNIST then hold a share in percent each.
        self.body.setSizes([800, 1200])
        self.body.splitterMoved.connect(lambda *_: self._arrange())
        # A regression's test targets against its predictions: on the diagonal, a perfect fit.
        # With one input, first the model as a curve through the points: how it bends to them.
        self.fit_graphics = pg.GraphicsLayoutWidget()
        self.curve_plot = self.fit_graphics.addPlot(row=0, col=0)
        give_overhanging_title(self.curve_plot, "the model over x")
        self.curve_plot.setLabel("bottom", "x")
        self.curve_plot.setLabel("left", "y")
        self.curve_plot.showGrid(x=True, y=True, alpha=0.2)
        self.test_points = self.curve_plot.plot(pen=None, symbol="o", symbolSize=6, symbolPen=pg.mkPen(31, 119, 180, 130), symbolBrush=None)
        self.train_points = self.curve_plot.plot(pen=None, symbol="o", symbolSize=6, symbolPen=None, symbolBrush=(50, 50, 50, 220))  # over the test's
        self.model_curve = self.curve_plot.plot(pen=pg.mkPen(WRONG, width=2))
        self.fit_plot = self.fit_graphics.addPlot(row=0, col=1)
        # Beside the curve, at 1024 pixels, the title is wider than the data: it slides inside the plot.
        give_overhanging_title(self.fit_plot, "test set: predicted against true")
        self.fit_plot.setLabel("bottom", "true")
        self.fit_plot.setLabel("left", "predicted")
        self.fit_plot.showGrid(x=True, y=True, alpha=0.2)
        self.diagonal = self.fit_plot.plot(pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine))
        self.fit_points = self.fit_plot.plot(pen=None, symbol="o", symbolSize=5, symbolPen=None, symbolBrush=(31, 119, 180, 160))
        self.fit_graphics.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.fit_graphics, 1)
        self._drawn: object = NOT_DRAWN  # the object itself: an id could be reused
        self._columns = 0

    def refresh(self, predictions: Predictions | Fit | None) -> None:
        if self._drawn is predictions:
            return
        self._drawn = predictions
        self.body.setVisible(isinstance(predictions, Predictions))
        self.fit_graphics.setVisible(isinstance(predictions, Fit))
        if predictions is None:
            self.summary.setText("Predictions on the test set appear once the model is ready.")
            return
        if isinstance(predictions, Fit):
            self._draw_fit(predictions)
            return
        self.summary.setText(summary_text(predictions))
        self._draw_gallery(predictions)
        self._draw_matrix(predictions)

    def _draw_fit(self, f: Fit) -> None:
        one_input = f.curve[0].size > 0
        self.curve_plot.setVisible(one_input)
        scatter = f"each of the {len(f.true):,} test targets against the model's prediction; on the dashed diagonal, a perfect fit"
        if one_input:
            self.train_points.setData(*f.train)
            self.test_points.setData(f.test_x, f.true)
            self.model_curve.setData(*f.curve)
            scatter = (f"left, the model over x (red) through the {len(f.train[0]):,} training points (dark) and the test "
                       f"points (blue circles); right, {scatter}")  # fmt: skip
        self.summary.setText(f"<b>Epoch {f.epoch}</b> (step {f.step}): {scatter}. Mean squared error {significant(f.mse, 4)}, the test loss.")
        self.fit_points.setData(f.true, f.predicted)
        finite = np.concatenate([f.true, f.predicted])
        finite = finite[np.isfinite(finite)]
        ends = [finite.min(), finite.max()] if finite.size else [0.0, 1.0]
        self.diagonal.setData(ends, ends)

    def _draw_gallery(self, p: Predictions) -> None:
        shown = has_images(p)
        self.gallery.setVisible(shown)
        if not shown:
            return
        while len(self.tiles) < len(p.images):
            self.tiles.append(Tile(self.gallery.widget()))  # parented at once: never a window of its own
        self._arrange()
        names = p.class_names
        for i, tile in enumerate(self.tiles):
            if i < len(p.images):
                tile.show_example(p.images[i], names[p.predicted[i]], names[p.true[i]], float(p.confidence[i]))
            tile.setVisible(i < len(p.images))

    def _arrange(self) -> None:
        """As many tiles per row as the gallery's width holds."""
        columns = max(1, (self.gallery.viewport().width() - 4) // (TILE_WIDTH + 2))
        if columns == self._columns and all(self.gallery_grid.indexOf(t) >= 0 for t in self.tiles):
            return
        self._columns = columns
        for tile in self.tiles:
            self.gallery_grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles):
            self.gallery_grid.addWidget(tile, *divmod(i, columns))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _label_cells(self) -> None:
        """Each cell's count where every count fits its cell (at 8 points, else 7), else its share
        of the row (the true class) in percent, else nothing but the shading: Fashion-MNIST's counts, cut to
        a cell's width, read "04" for 1040."""
        counts = self._confusion
        if not counts.size:
            return
        cell_px = self.matrix_plot.vb.width() / len(counts)
        per_row = row_shares(counts)
        shares = np.rint(100 * per_row).astype(int)
        choices = (
            ("confusion matrix", [str(n) if n else "" for n in counts.ravel()]),
            ("confusion matrix (% of row)", [str(share) if n else "" for n, share in zip(counts.ravel(), shares.ravel())]),
        )
        fonts = [self.font() for _ in CELL_POINTS]
        for font, points in zip(fonts, CELL_POINTS):
            font.setPointSizeF(points)
        title, texts, font = next(
            (
                (title, texts, font)
                for title, texts in choices
                for font in fonts
                if max(QFontMetrics(font).horizontalAdvance(t) for t in set(texts)) + 2 <= cell_px
            ),
            ("confusion matrix", [""] * counts.size, fonts[0]),
        )
        set_title(self.matrix_plot, title)
        for i, text in enumerate(self.cell_texts):
            if i >= counts.size:
                text.hide()
                continue
            r, c = divmod(i, len(counts))
            text.setFont(font)
            text.setText(texts[i], color="w" if per_row[r, c] > 0.5 else "k")
            text.setPos(c, r)
            text.show()

    def _draw_matrix(self, p: Predictions) -> None:
        counts = p.confusion
        classes = len(counts)
        self.matrix_image.setImage(row_shares(counts), autoLevels=False, levels=(0.0, 1.0))  # shaded by share of each true class
        self.matrix_image.setRect(-0.5, -0.5, classes, classes)
        while len(self.cell_texts) < classes * classes:
            text = pg.TextItem(anchor=(0.5, 0.5))
            self.matrix_plot.addItem(text)
            self.cell_texts.append(text)
        self._confusion = counts
        self._label_cells()
        left, bottom = matrix_ticks(p.class_names)
        self.matrix_plot.getAxis("left").setTicks([left])
        self.matrix_plot.getAxis("bottom").setTicks([bottom])
        self.matrix_plot.setRange(xRange=(-0.5, classes - 0.5), yRange=(-0.5, classes - 0.5), padding=0)
