"""The network graph: layers, neurons and weighted edges, live.

Edge colour is the weight's sign (blue positive, orange negative) and its width
|w|, as in TensorFlow Playground. On 2-D data each neuron shows its output over
the input plane and a side plot shows the decision boundary with the data; on
images the first hidden layer's neurons show their weights as pictures. Badges
over each layer give its weight and gradient norms and its dead or saturated
share, in red when unhealthy. Redrawn a few times a second at most.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.numbers import compact_exponent, significant
from engine.stats import LayerProbe, Snapshot
from gui.network_layout import COLUMN_SPACING, EDGE_WIDTHS, NEGATIVE_EDGE, POSITIVE_EDGE, GraphLayout, edge_styles, edge_width_scale, frame_rows, layout
from gui.plotting import SMALL_TITLE, give_overhanging_title, stand_apart, units_per_px
from gui.widgets import FEATURE_LABELS

REDRAW_INTERVAL_S = 0.3
NODE_COLOURS = {"normal": "#f4f4f4", "dead": "#d62728", "saturated": "#ff7f0e"}
PLAYGROUND = pg.ColorMap([0.0, 0.5, 1.0], [(245, 147, 34), (232, 234, 235), (8, 119, 189)])  # orange, grey, blue
COMPACT_BELOW_PX = 95  # column width under which badges shrink to the layer and its gradient norm
COMPACT_BADGE_ROWS = "layer\n‖∇W‖"  # over the inputs, what a short badge's two lines are
BADGE_GAP_PX = 4  # between two badges, or two size notes, side by side
FRAME_MARGIN = 1.3  # left and right of the outer columns, in the graph's units
INPUT_NAME_GAP = 0.3  # between an input's name and its node, in the same units
NOTE_GAP = 0.7  # between the lowest node and the size notes under it, in the same units
BADGE_GAP = 0.8  # between the highest node and the badges over it, in the same units
HOVER_NODE_RADIUS = 0.55
# A neuron's picture fits in this much of the graph's units: rows are 1.2 apart, columns 3 (half
# of the room between two columns is left to the edges: a deep net's or a narrow dock's
# pictures, bound by the width, had 12 pixels in a room of 1).
PICTURE_ROOM_X, PICTURE_ROOM_Y = 1.5, 1.0
CENTRE = 0  # the key of a picture's node centre among its item's data
HOVER_EDGE_DISTANCE = 0.12


def unhealthy(probe: LayerProbe, largest_grad: float) -> bool:
    shares = [s for s in (probe.dead_fraction, probe.saturated_fraction) if s is not None]
    tiny = largest_grad > 0 and probe.grad_norm < 1e-3 * largest_grad
    return any(s > 0.5 for s in shares) or tiny or probe.grad_norm > 1e3 or not math.isfinite(probe.grad_norm)


def badge(probe: LayerProbe, compact: bool, largest_grad: float) -> tuple[str, str]:
    """A layer's badge and its colour: its norms and dead or saturated share, or in a narrow
    column its gradient norm alone, a bare number under COMPACT_BADGE_ROWS."""
    text = probe.name.split(" ")[0]
    if compact:
        text += f"\n{short_number(probe.grad_norm)}"
    else:
        text += f"\n‖W‖ {significant(probe.weight_norm, 2)}\n‖∇W‖ {significant(probe.grad_norm, 2)}"
        if probe.dead_fraction is not None:
            text += f"\ndead {probe.dead_fraction:.0%}"
        if probe.saturated_fraction is not None:
            text += f"\nsat. {probe.saturated_fraction:.0%}"
    return text, "#c0392b" if unhealthy(probe, largest_grad) else "#333"


# A badge: x in the graph's units, anchor (0.5, 1.0) on the badges' line, (0.5, 2.0) a badge higher, text, colour.
Placement = tuple[float, tuple[float, float], str, str]


def short_number(x: float) -> str:
    """One significant digit in at most five characters, for badges in a narrow column: 0.04,
    20, 7e-6, 6e7 (Python's "7e-06" and "1e+00" ran into each other on a deep net)."""
    if not math.isfinite(x) or x == 0:
        return f"{x:g}"
    rounded = f"{x:.0e}"
    return f"{float(rounded):g}" if 1e-2 <= abs(float(rounded)) < 1e3 else compact_exponent(rounded)


def largest_magnitude(values: np.ndarray) -> float:
    """The largest finite |value|, or 1 where there is none (all zero, or none finite)."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def scaled_to_unit(picture: np.ndarray, bound: float) -> np.ndarray:
    """`picture / bound` in float64, to draw with levels (-1, 1). Levels of (-bound, bound)
    overflowed pyqtgraph's float32 scaling for weights decayed to 1e-40 or grown to 1e38."""
    return picture.astype(np.float64) / bound


def segment_distances(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from one point to each segment a[i]-b[i]."""
    ab = b - a
    t = np.clip(((points - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
    nearest = a + t[:, None] * ab
    return np.linalg.norm(points - nearest, axis=1)


class NetworkPanel(QWidget):
    layer_selected = Signal(int)  # a Linear layer's index, from a click on one of its neurons

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.readout = QLabel("Hover a neuron or an edge; click a neuron to show its layer's histograms.")
        self.readout.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graph_plot = self.graphics.addPlot(row=0, col=0)
        self.graph_plot.hideAxis("left")
        self.graph_plot.hideAxis("bottom")
        self.graph_plot.hideButtons()
        self.graph = pg.GraphItem()  # the nodes; the edges are drawn by the items below, a few pens in all
        self.graph_plot.addItem(self.graph)
        self.edge_groups: dict[tuple[bool, int], pg.PlotCurveItem] = {}
        for positive in (True, False):
            for level in range(len(EDGE_WIDTHS)):
                item = pg.PlotCurveItem()
                item.setZValue(-1)  # under the nodes
                self.graph_plot.addItem(item)
                self.edge_groups[positive, level] = item
        self._edge_scale = 0.0  # the factor the edges' pens were made for (none yet)
        self._fit_edge_widths()
        # In the layout only for 2-D sets (set_points), its title overhanging: a title sets its
        # plot's least width, and a narrow dock (a 1024-pixel screen) cut the graph off on the right.
        self.boundary_plot = pg.PlotItem()
        give_overhanging_title(self.boundary_plot, "boundary (● train, ○ test)", size=SMALL_TITLE)
        self.boundary_plot.setAspectLocked(True)
        self.boundary_image = pg.ImageItem(axisOrder="row-major")
        self.boundary_image.setColorMap(PLAYGROUND)
        self.boundary_plot.addItem(self.boundary_image)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#333", width=0.5))
        self.test_points = pg.ScatterPlotItem(size=6, brush=None)
        self.boundary_plot.addItem(self.train_points)
        self.boundary_plot.addItem(self.test_points)
        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(2, 2, 2, 2)
        layout_.addWidget(self.readout)
        layout_.addWidget(self.graphics, 1)

        # The same pen and brushes every time: pyqtgraph keeps each drawn symbol by its pen and
        # brush objects, and new ones made it draw every node's symbol again at each refresh.
        self._node_pen = pg.mkPen("#555")
        self._brushes = {state: pg.mkBrush(colour) for state, colour in NODE_COLOURS.items()}
        self.layout_: GraphLayout | None = None
        self.snapshot: Snapshot | None = None
        self.layer_names: tuple[str, ...] = ()
        self._texts: list[pg.TextItem] = []
        self._images: list[pg.ImageItem] = []
        self._last_draw = 0.0
        self._points: tuple[np.ndarray, ...] = ()
        self.image_shape: tuple[int, int] | None = None  # the inputs' (rows, columns) on an image set
        self.features: tuple[str, ...] = ()  # what each input is on a plane set (engine.config.PLANE_FEATURES)
        self._framed: tuple = ((), ())  # the sizes and input names the graph was framed for
        self._zoomed = False  # by the user, since the graph was framed: a resize leaves the view alone
        self._hover = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=20, slot=self._on_mouse)
        self.graph.scatter.sigClicked.connect(self._on_click)
        # Which badges fit depends on the pixels between columns: a resized dock or a zoom
        # redraws them at once, not at the next snapshot (none comes while training is paused).
        self.graph_plot.vb.sigResized.connect(self._on_resized)
        self.graph_plot.vb.sigXRangeChanged.connect(self._redraw_texts)
        self.graph_plot.vb.sigXRangeChanged.connect(self._fit_edge_widths)  # thinner where columns are close
        self.graph_plot.vb.sigResized.connect(self._fit_edge_widths)
        self.graph_plot.vb.sigRangeChanged.connect(self._place_pictures)  # square pixels at any zoom
        self.graph_plot.vb.sigResized.connect(self._place_pictures)
        self.graph_plot.vb.sigRangeChangedManually.connect(self._note_zoom)

    # ------------------------------------------------------------------ data in
    def set_points(self, points: tuple[np.ndarray, ...]) -> None:
        """The 2-D data to draw under the decision boundary (empty: not a 2-D set)."""
        self._points = points
        shown = self.boundary_plot in self.graphics.ci.items
        if points and not shown:
            self.graphics.addItem(self.boundary_plot, row=1, col=0)
            self.graphics.ci.layout.setRowStretchFactor(0, 3)
            self.graphics.ci.layout.setRowStretchFactor(1, 2)
        elif shown and not points:
            self.graphics.removeItem(self.boundary_plot)
        if points:
            x_train, y_train, x_test, y_test = points
            colours = [pg.mkBrush(PLAYGROUND.map(1.0 if y else 0.0)) for y in y_train]
            self.train_points.setData(x_train[:, 0], x_train[:, 1], brush=colours)
            self.test_points.setData(
                x_test[:, 0], x_test[:, 1], pen=[pg.mkPen(PLAYGROUND.map(1.0 if y else 0.0), width=1.5) for y in y_test]
            )

    def refresh(self, snapshot: Snapshot | None, layer_names: tuple[str, ...], force: bool = False) -> None:
        """Redraw from `snapshot` (it must carry weights), at most every REDRAW_INTERVAL_S."""
        if snapshot is None or not snapshot.weights or snapshot is self.snapshot:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < REDRAW_INTERVAL_S:
            return
        self._last_draw = now
        self.snapshot, self.layer_names = snapshot, layer_names
        pictured = self._pictured_columns(snapshot)
        # Weights over an image want room to be read; a plane's maps, patches of two colours,
        # are read smaller, and a small net shows every one of its neurons, as Playground does.
        few = pictured if snapshot.neuron_maps is None else ()
        self.layout_ = layout(list(snapshot.weights), pictured, few)
        if (self.layout_.sizes, self.features) != self._framed:  # a new architecture: frame it (the user's zoom stays otherwise)
            self._frame(self.layout_)
        self._draw_graph(snapshot, self.layout_)
        self._draw_texts(snapshot, self.layout_)
        self._draw_pictures(snapshot, self.layout_)
        self._draw_boundary(snapshot)

    # ------------------------------------------------------------------ drawing
    def _frame(self, g: GraphLayout) -> None:
        """Room around the nodes for the badges above, the size notes below and, on a plane set,
        the inputs' names on the left (a narrow dock cut "x₁" to "‹₁"), each in its pixels: a
        fixed share of a tall graph's height cut 32 hidden units' badges and notes in half."""
        ys = g.positions[:, 1]
        right = (len(g.shown) - 1) * COLUMN_SPACING + FRAME_MARGIN
        left = -FRAME_MARGIN
        names = [FEATURE_LABELS[feature] for feature in self.features] if self._names_inputs(g) else []
        width = self.graph_plot.vb.width()
        needed = max((self._item_width(name) for name in names), default=0.0)  # pixels, the text's margins included
        if 0 < needed < width:  # the names' room in the graph's units grows with the span it is part of
            left = min(left, -(INPUT_NAME_GAP + needed * right / width) / (1 - needed / width))
        self.graph_plot.setXRange(left, right, padding=0)  # first: whether badges are short depends on it
        below = [(2.6, 0.0), (NOTE_GAP, self._notes_height(g))]
        above = [(5.5, 0.0), (BADGE_GAP, self._badges_height())]
        bottom, top = frame_rows(ys.min(), ys.max(), self.graph_plot.vb.height(), below, above)
        self.graph_plot.setYRange(bottom, top, padding=0)
        self._framed = (g.sizes, self.features)
        self._zoomed = False

    def _notes_height(self, g: GraphLayout) -> float:
        """Pixels the size notes take under the graph: two lines where a column has "+N more"."""
        return self._item_height(2 if any(len(shown) < size for shown, size in zip(g.shown, g.sizes)) else 1)

    def _badges_height(self) -> float:
        """Pixels the badges take over the graph, at most: four lines (the layer, its norms, its
        dead or saturated share), or short ones of two staggered under the rows' names."""
        return self._item_height(4) if self._column_px() >= COMPACT_BELOW_PX else 3 * self._item_height(2)

    def _names_inputs(self, g: GraphLayout) -> bool:
        """Whether the inputs are a plane set's features, each named beside its node."""
        return len(self.features) == g.sizes[0]

    def _on_resized(self) -> None:
        """Frame the graph for its new width (the names' room depends on it) unless the user
        zoomed or panned it, then redraw the texts: which badges fit depends on the width too."""
        if self.layout_ is not None and not self._zoomed:
            self._frame(self.layout_)
        self._redraw_texts()

    def _node_brushes(self, snapshot: Snapshot, g: GraphLayout) -> list:
        brushes = []
        for column, unit in zip(g.node_column, g.node_unit):
            state = "normal"
            if column > 0:
                probe = snapshot.layers[column - 1]
                if probe.unit_dead is not None and probe.unit_dead[unit]:
                    state = "dead"
                elif probe.unit_saturated is not None and probe.unit_saturated[unit] > 0.5:
                    state = "saturated"
            brushes.append(self._brushes[state])
        return brushes

    def _pictured_columns(self, snapshot: Snapshot) -> tuple[int, ...]:
        """The columns whose neurons are drawn as pictures: on a plane set every layer's (each
        neuron's output over the plane), on an image set the first layer's (its weights over the
        image)."""
        layers = len(snapshot.weights)
        if snapshot.neuron_maps is not None:
            return tuple(range(1, layers + 1))
        return (1,) if self._image_of(snapshot.weights[0].shape[1]) is not None else ()

    def _draw_graph(self, snapshot: Snapshot, g: GraphLayout) -> None:
        self.graph.setData(
            pos=g.positions,
            size=8 if g.pictured else 14,
            symbolBrush=self._node_brushes(snapshot, g),
            symbolPen=self._node_pen,
            pxMode=True,
        )
        self._draw_edges(g)

    def _draw_edges(self, g: GraphLayout) -> None:
        """Each (sign, width) group of edges as one path of separate segments."""
        positive, levels = edge_styles(g.edge_weight, g.edge_layer)
        ends = g.positions[g.edges].reshape(-1, 2, 2)  # (edges, source/target, x/y)
        for (sign, level), item in self.edge_groups.items():
            segments = ends[(positive == sign) & (levels == level)].reshape(-1, 2)
            item.setData(segments[:, 0], segments[:, 1], connect="pairs")

    def _fit_edge_widths(self) -> None:
        """The edges' pens for the pixels between columns now (edge_width_scale)."""
        scale = edge_width_scale(self._column_px())
        if scale == self._edge_scale:
            return
        self._edge_scale = scale
        for (positive, level), item in self.edge_groups.items():
            item.setPen(pg.mkPen(POSITIVE_EDGE if positive else NEGATIVE_EDGE, width=EDGE_WIDTHS[level] * scale))

    def _text(self, index: int) -> pg.TextItem:
        while len(self._texts) <= index:
            item = pg.TextItem(anchor=(0.5, 1.0))
            self.graph_plot.addItem(item)
            self._texts.append(item)
        return self._texts[index]

    def _draw_texts(self, snapshot: Snapshot, g: GraphLayout) -> None:
        """A badge over each layer, a size note under each column, "+N more" where units are hidden,
        and on a plane set each input's feature (x₁², ...) beside it."""
        used = 0
        largest = max((p.grad_norm for p in snapshot.layers if math.isfinite(p.grad_norm)), default=0.0)
        compact = self._column_px() < COMPACT_BELOW_PX  # deep nets: short labels
        # Every badge on one line over the tallest column: over its own column, a short output
        # column's badge sat among the edges converging on it (a regression's single output), and
        # off the line the inputs' row names label.
        badge_y = g.positions[:, 1].max() + BADGE_GAP
        for x, anchor, text, colour in self._placed_badges(snapshot, compact, largest):
            item = self._text(used)
            item.setAnchor(anchor)
            item.setText(text, color=colour)
            item.setPos(x, badge_y)
            used += 1
        columns = list(range(len(g.shown)))
        notes = [self._size_note(g, column, compact) for column in columns]
        xs = self._fit_on_line(columns, notes)
        if xs is None:  # eight hidden layers of 128 ran into "64128128128...": the input's and the output's
            columns, notes = [0, columns[-1]], [notes[0], notes[-1]]
            xs = self._fit_on_line(columns, notes) or [column * COLUMN_SPACING for column in columns]
        # The size notes share a line under the tallest column, as the badges over it: under its
        # own node, a regression's "output: 1" sat among the edges converging on it.
        note_y = g.positions[:, 1].min() - NOTE_GAP
        for text, x in zip(notes, xs):
            note = self._text(used)
            note.setAnchor((0.5, 0.0))
            note.setText(text, color="#555")
            note.setPos(x, note_y)
            used += 1
        if self._names_inputs(g):
            for unit, y in zip(g.node_unit[g.node_column == 0], g.positions[g.node_column == 0, 1]):
                name = self._text(used)
                name.setAnchor((1.0, 0.5))
                name.setText(FEATURE_LABELS[self.features[unit]], color="#333")
                name.setPos(-INPUT_NAME_GAP, y)
                used += 1
        for item in self._texts[used:]:
            item.setText("")

    def _note_zoom(self) -> None:
        self._zoomed = True

    def _redraw_texts(self) -> None:
        if self.snapshot is not None and self.layout_ is not None:
            self._draw_texts(self.snapshot, self.layout_)

    def _column_px(self) -> float:
        """Pixels from one column to the next, as the graph is framed now."""
        per_px = units_per_px(self.graph_plot.vb)[0]
        return COLUMN_SPACING / per_px if per_px > 0 else 0.0

    def _placed_badges(self, snapshot: Snapshot, compact: bool, largest: float) -> list[Placement]:
        """The badges: full ones in wide columns, else short ones (the layer and its gradient
        norm, the rows' names over the inputs) side by side, else short ones staggered, every
        other one a badge higher, with the rows' names over them all from the left edge (eight
        hidden layers in a 1024-pixel screen's network column ran "7e-66e-55e-4" together),
        else none: the gradient flow tab has every number."""
        layers = [(column, *badge(probe, compact, largest)) for column, probe in enumerate(snapshot.layers, start=1)]
        if not compact:
            return [(column * COLUMN_SPACING, (0.5, 1.0), text, colour) for column, text, colour in layers]
        short = [(0, COMPACT_BADGE_ROWS, "#555"), *layers]
        xs = self._fit_on_line([column for column, _, _ in short], [text for _, text, _ in short])
        if xs is not None:
            return [(x, (0.5, 1.0), text, colour) for x, (_, text, colour) in zip(xs, short)]
        placed = []
        for raised, line in ((True, layers[0::2]), (False, layers[1::2])):
            xs = self._fit_on_line([column for column, _, _ in line], [text for _, text, _ in line])
            if xs is None:
                return []
            placed += [(x, (0.5, 2.0 if raised else 1.0), text, colour) for x, (_, text, colour) in zip(xs, line)]
        left = self.graph_plot.vb.viewRange()[0][0]
        return [(left, (0.0, 3.0), COMPACT_BADGE_ROWS, "#555"), *sorted(placed)]  # left to right

    def _fit_on_line(self, columns: list[int], texts: list[str]) -> list[float] | None:
        """Where texts centred over `columns` stand on one line (in the graph's units), each moved
        just inside the graph's edges; None where two would stand closer than BADGE_GAP_PX."""
        (left, right), width = self.graph_plot.vb.viewRange()[0], self.graph_plot.vb.width()
        if right <= left or width <= 0:
            return None
        per_px = units_per_px(self.graph_plot.vb)[0]
        widths = [self._text_width(text) * per_px for text in texts]
        xs = [min(max(column * COLUMN_SPACING, left + w / 2), right - w / 2) for column, w in zip(columns, widths)]
        fits = stand_apart([b - a for a, b in zip(xs, xs[1:])], widths, BADGE_GAP_PX * per_px)
        return xs if fits else None

    def _size_note(self, g: GraphLayout, column: int, compact: bool) -> str:
        if compact:
            return f"{g.sizes[column]}"
        hidden = g.sizes[column] - len(g.shown[column])
        label = "input" if column == 0 else "output" if column == len(g.shown) - 1 else f"hidden {column}"
        return f"{label}: {g.sizes[column]}" + (f"\n+{hidden} more" if hidden > 0 else "")

    def _item_width(self, text: str) -> float:
        """`text`'s width drawn as a text item: its margins on both sides included."""
        margin = self._text(0).textItem.document().documentMargin()
        return self._text_width(text) + 2 * margin

    def _item_height(self, lines: int) -> float:
        """The height of a text item of `lines` lines: its margins above and below included."""
        margin = self._text(0).textItem.document().documentMargin()
        return lines * QFontMetricsF(self._text(0).textItem.font()).lineSpacing() + 2 * margin

    def _text_width(self, text: str) -> float:
        metrics = QFontMetricsF(self._text(0).textItem.font())
        return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0.0)

    def _image(self, index: int) -> pg.ImageItem:
        while len(self._images) <= index:
            item = pg.ImageItem(axisOrder="row-major")
            item.setColorMap(PLAYGROUND)
            item.setZValue(1)  # over the edges: the pictures are the point
            self.graph_plot.addItem(item)
            self._images.append(item)
        return self._images[index]

    def _draw_pictures(self, snapshot: Snapshot, g: GraphLayout) -> None:
        """2-D data: every neuron's output map. Images: the first hidden layer's weights."""
        used = 0
        maps = snapshot.neuron_maps
        image = self._image_of(g.sizes[0])
        for node, (column, unit) in enumerate(zip(g.node_column, g.node_unit)):
            if column not in g.pictured:
                continue
            if maps is not None:
                is_output = column == len(g.shown) - 1
                picture = maps.maps[column - 1][unit]
                if not is_output:  # a hidden layer's maps share one scale, so its neurons compare
                    picture = scaled_to_unit(picture, largest_magnitude(maps.maps[column - 1]))
                levels = (0.0, 1.0) if is_output else (-1.0, 1.0)
            else:
                weights = snapshot.weights[0][unit].reshape(image)[::-1]  # row 0 on top
                picture, levels = scaled_to_unit(weights, largest_magnitude(weights)), (-1.0, 1.0)
            item = self._image(used)
            item.setImage(picture, autoLevels=False, levels=levels)
            item.setData(CENTRE, tuple(g.positions[node]))
            item.show()
            used += 1
        for item in self._images[used:]:
            item.hide()
        self._place_pictures()

    def _place_pictures(self) -> None:
        """Each picture as large as its node's room (PICTURE_ROOM_X by PICTURE_ROOM_Y) allows with
        square pixels: stretched to the room, 8x8 weights drawn 14 pixels high and 50 wide ran
        together into a column of stripes, and a plane's square map became a wide band."""
        x_per_px, y_per_px = units_per_px(self.graph_plot.vb)
        for item in self._images:
            if not item.isVisible() or item.image is None:
                continue
            rows, columns = item.image.shape[:2]
            x, y = item.data(CENTRE)
            if x_per_px > 0 and y_per_px > 0:
                px = min(PICTURE_ROOM_X / x_per_px / columns, PICTURE_ROOM_Y / y_per_px / rows)  # a picture's pixel, on screen
                width, height = px * columns * x_per_px, px * rows * y_per_px
            else:  # not laid out yet
                width, height = PICTURE_ROOM_X, PICTURE_ROOM_Y
            item.setRect(x - width / 2, y - height / 2, width, height)

    def _draw_boundary(self, snapshot: Snapshot) -> None:
        maps = snapshot.neuron_maps
        if maps is None or not self._points:
            return
        output = maps.maps[-1]
        chance = output[1] if output.shape[0] == 2 else output.argmax(0) / max(1, output.shape[0] - 1)
        x0, x1, y0, y1 = maps.extent
        self.boundary_image.setImage(chance, autoLevels=False, levels=(0.0, 1.0))
        self.boundary_image.setRect(x0, y0, x1 - x0, y1 - y0)

    # ------------------------------------------------------------------ hover and click
    def _on_mouse(self, event: tuple[QPointF]) -> None:
        position = event[0]
        if self.graph_plot.sceneBoundingRect().contains(position):
            point = self.graph_plot.vb.mapSceneToView(position)
            text = self.describe_at(point.x(), point.y())
            if text:
                self.readout.setText(text)

    def describe_at(self, x: float, y: float) -> str:
        """The hover text for a point of the graph: the nearest neuron, else the nearest edge."""
        g, snapshot = self.layout_, self.snapshot
        if g is None or snapshot is None or not len(g.positions):
            return ""
        here = np.array([[x, y]])
        distances = np.linalg.norm(g.positions - here, axis=1)
        node = int(distances.argmin())
        if distances[node] <= HOVER_NODE_RADIUS:
            return self.describe_node(node)
        if len(g.edges):
            gaps = segment_distances(here, g.positions[g.edges[:, 0]], g.positions[g.edges[:, 1]])
            edge = int(gaps.argmin())
            if gaps[edge] <= HOVER_EDGE_DISTANCE:
                source, target = g.edges[edge]
                return (
                    f"weight {g.edge_weight[edge]:+.4g}: {self.layer_names[g.edge_layer[edge]]}, "
                    f"unit {g.node_unit[source]} → unit {g.node_unit[target]}"
                )
        return ""

    def _image_of(self, inputs: int) -> tuple[int, int] | None:
        """The inputs' (rows, columns) where they are an image's pixels and the graph's `inputs`
        are them (a snapshot of the model before a Reset may still be drawn)."""
        shape = self.image_shape
        return shape if shape is not None and shape[0] * shape[1] == inputs else None

    def describe_node(self, node: int) -> str:
        g, snapshot = self.layout_, self.snapshot
        assert g is not None and snapshot is not None
        column, unit = int(g.node_column[node]), int(g.node_unit[node])
        if column == 0:
            image = self._image_of(g.sizes[0])
            if image:
                return f"input {unit}: the pixel in row {unit // image[1]}, column {unit % image[1]}"
            if len(self.features) == g.sizes[0]:
                return f"input {unit}: {FEATURE_LABELS[self.features[unit]]} of the point"
            return f"input {unit}"
        probe = snapshot.layers[column - 1]
        text = f"{probe.name}, unit {unit}: mean activation {significant(probe.unit_mean[unit])}, bias {snapshot.biases[column - 1][unit]:+.3g}"
        if probe.unit_dead is not None:
            text += " · dead: 0 for every example probed, passes no gradient" if probe.unit_dead[unit] else " · alive"
        if probe.unit_saturated is not None:
            share = float(probe.unit_saturated[unit])
            text += f" · saturated for {share:.0%} of the batch" + (" (mostly saturated)" if share > 0.5 else "")
        return text

    def _on_click(self, scatter: pg.ScatterPlotItem, points: list, *args: object) -> None:
        if not points or self.layout_ is None:
            return
        position = points[0].pos()
        distances = np.linalg.norm(self.layout_.positions - np.array([position.x(), position.y()]), axis=1)
        column = int(self.layout_.node_column[int(distances.argmin())])
        self.layer_selected.emit(max(0, column - 1))
