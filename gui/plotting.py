"""Shared pyqtgraph pieces for the panels: cached axes, a steady auto-range, sparse
axes for short plots, and a tooltip that reads a heatmap under the mouse.

Redrawing an axis (tick labels and the grid across the plot) is most of a plot's
paint time in software rendering. The first two keep axes unchanged from one frame
to the next while the data move: the cached pixmap is reused, and the view jumps
only now and then instead of following every new point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QEvent, QIODevice, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QToolTip, QWidget

from engine.errors import SaveError
from engine.numbers import compact_exponent
from engine.stats import SettingChange

PADDING = 0.02  # of the data's span, on each side, when the view is fitted afresh
SLACK_PX = 3  # how far (padded) data may poke out of the view before it moves
SHRINK_BELOW = 1 / 3  # refit when the data span less than this share of the view
MIN_LABEL_GAP_PX = 15  # between two tick labels of a vertical SparseAxis (a label is ~12 px high)
HORIZONTAL_LABEL_GAP_PX = 7  # between two labels of a horizontal SparseAxis: a wide space
# How far a horizontal SparseAxis's end labels may overhang the plot's corners: ranges end on round
# values (a histogram's -0.5 to 0.5, a first step's 0 to 1), and pyqtgraph hid the labels there,
# leaving a lone "0", or no label at all.
END_LABEL_OVERHANG_PX = 20
MAX_INTERVALS = 5  # between a SparseAxis's labels, however long it is
MIN_MINOR_TICK_GAP_PX = 4  # between a log axis's minor ticks (2, 3, ... 9 in a decade)
SMALL_TITLE = "9pt"  # for the plots of panels that show several side by side in a dock
LARGE_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))  # at steps of 1000 or more, the largest label's unit
EXPORT_SCALE = 2  # an exported picture's pixels per screen pixel
WIDEST_LABEL = "-0.025"  # the tick label a vertical axis has room for from the start (counts read 2.5k, 10k)


def round_step(at_least: float) -> float:
    """The smallest of 1, 2, 2.5, 4, 5 times a power of ten that is at least `at_least` (4: a
    histogram's range from -4 to 4 reads "-4 0 4" where steps of 5 left a lone "0")."""
    decade = 10.0 ** math.floor(math.log10(at_least))
    return next(m * decade for m in (1, 2, 2.5, 4, 5, 10) if m * decade >= at_least)


def next_step(spacing: float) -> float:
    """The round step after `spacing`: 2 after 1, 2.5 after 2, 10 after 5."""
    return round_step(spacing * (1 + 1e-9))


def previous_step(spacing: float) -> float:
    """The round step before `spacing`: 5 before 10, 2.5 before 4, 1 before 2."""
    below = spacing * (1 - 1e-9)
    decade = 10.0 ** math.floor(math.log10(below))
    return max(m * decade for m in (1, 2, 2.5, 4, 5) if m * decade <= below)


def stand_apart(distances: Sequence[float], widths: Sequence[float], gap: float) -> bool:
    """Whether texts of `widths`, each centred on its place, with `distances` between neighbouring
    places, stand `gap` apart at least: two neighbours need half of each one's width."""
    return all(distance >= (left + right) / 2 + gap for distance, left, right in zip(distances, widths, widths[1:]))


def ticks_in(low: float, high: float, spacing: float) -> int:
    """How many multiples of `spacing` lie from `low` to `high`."""
    return math.floor(high / spacing + 1e-9) - math.ceil(low / spacing - 1e-9) + 1


class SparseAxis(pg.AxisItem):
    """An axis of short round labels that do not touch (vertical ones MIN_LABEL_GAP_PX apart,
    horizontal ones at least HORIZONTAL_LABEL_GAP_PX), and at most MAX_INTERVALS between them
    on a long axis. pyqtgraph asks for at least 2.25 intervals however short the axis, which
    stacked five overlapping counts on the 40-pixel-high histograms of a 768-pixel screen, ran
    "2000 4000 6000 8000" together on the 140-pixel step axes of a 1024-pixel one, and "-0.2 0
    0.2 0.4" into "-0.20 0.20.4" under its histograms. Horizontal ones show the labels at their
    ends (END_LABEL_OVERHANG_PX). A `whole` axis (steps, epochs) labels whole numbers only: the
    first step's heatmap read "0.25 0.50 0.75" along its steps."""

    def __init__(self, orientation: str, whole: bool = False, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.whole = whole
        if orientation in ("top", "bottom"):
            self.setStyle(hideOverlappingLabels=END_LABEL_OVERHANG_PX)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        """pyqtgraph's, with room for the end labels (END_LABEL_OVERHANG_PX, or its own 15 pixels
        on a vertical axis) when the axis draws a grid too: pyqtgraph then bounds it by the grid
        alone, and dropped every label poking out of it, such as the "0" of a step axis whose view
        starts half a marker before step 0 (present or not as the plot's width rounded)."""
        rect = super().boundingRect()
        if self.linkedView() is None or self.grid is False:
            return rect  # pyqtgraph's own margin applies
        hide = self.style["hideOverlappingLabels"]
        margin = 0 if hide is True else 15 if hide is False else int(hide)
        along = (-margin, 0, margin, 0) if self.orientation in ("top", "bottom") else (0, -margin, 0, margin)
        return rect | self.mapRectFromParent(self.geometry()).adjusted(*along)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802, N803 (pyqtgraph's names)
        span = abs(maxVal - minVal)
        if not (math.isfinite(span) and span > 0 and size > 0):
            return super().tickSpacing(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        vertical = self.orientation in ("left", "right")
        spacing = round_step(span / (min(MAX_INTERVALS, max(1.0, size / MIN_LABEL_GAP_PX)) if vertical else MAX_INTERVALS))
        while not self.can_step(low, high, size, spacing):
            spacing = next_step(spacing)
        rounder = next_step(spacing)
        if self.can_step(low, high, size, rounder) and ticks_in(low, high, rounder) >= ticks_in(low, high, spacing):
            spacing = rounder  # as many labels, rounder: -0.5 0 0.5, not -0.4 0 0.4; 0 50 100 %, not 0 40 80
        if not vertical and not (self.whole or self.logMode) and ticks_in(low, high, spacing) < 2:
            return [self.either_side_of_zero(low, high, size, spacing)]
        if vertical and self.logMode and ticks_in(low, high, spacing) < 2:
            spacing = self.two_labels_decades_apart(low, high, size, spacing)
        return [(spacing, 0.0)]

    def two_labels_decades_apart(self, low: float, high: float, size: float, spacing: float) -> float:
        """The most whole decades under `spacing` that give a short log axis two labels
        MIN_LABEL_GAP_PX apart, where round steps gave one: update ratios over five decades on a
        34-pixel axis read a lone "1" at steps of 5 (and 4; 2 would crowd three labels); at 3,
        "0.001 1". `spacing` itself where none does."""
        px_per_decade = size / (high - low)
        for decades in range(math.ceil(spacing) - 1, 0, -1):
            if ticks_in(low, high, decades) >= 2 and decades * px_per_decade >= MIN_LABEL_GAP_PX:
                return float(decades)
        return spacing

    def either_side_of_zero(self, low: float, high: float, size: float, spacing: float) -> tuple[float, float]:
        """Ticks at odd multiples of the step before `spacing` where they fit and `spacing` labels
        one value at most: a 95-pixel histogram of gradients within +-0.0078 had room for neither
        "-0.005 0 0.005" nor anything but a lone "0" at steps of 0.01, which gave no scale; it
        reads "-0.005 0.005". The (spacing, offset) pair is pyqtgraph's."""
        half = previous_step(spacing)
        while ticks_in(low - half, high - half, 2 * half) < 2:
            half = previous_step(half)
        return (2 * half, half) if self.labels_fit(low, high, size, 2 * half, half) else (spacing, 0.0)

    def can_step(self, low: float, high: float, size: float, spacing: float) -> bool:
        """Whether ticks `spacing` apart suit the axis: whole steps on a `whole` or log one, and labels
        that fit side by side on a horizontal one (or a single step over its whole range)."""
        if (self.whole or self.logMode) and spacing % 1:  # a log axis: whole decades, not 0.003 beside 10⁻⁵
            return False
        return self.orientation in ("left", "right") or spacing >= high - low or self.labels_fit(low, high, size, spacing)

    def labels_fit(self, low: float, high: float, size: float, spacing: float, offset: float = 0.0) -> bool:
        """Whether the labels of ticks `spacing` apart (from `offset`) stand side by side,
        HORIZONTAL_LABEL_GAP_PX apart at least ("-7.5e-06" needs more room than "0.5"). Each label
        is centred on its tick, so two neighbours need half of each one's width: "-0.025 0 0.025"
        fits under a 90-pixel histogram of values within +-0.03, where room for two of the widest
        left a lone "0"."""
        first = math.ceil((low - offset) / spacing - 1e-9)
        values = [(first + i) * spacing + offset for i in range(ticks_in(low - offset, high - offset, spacing))]
        widths = [self.label_metrics().horizontalAdvance(label) for label in self.tickStrings(values, self.scale, spacing)]
        return stand_apart([spacing / (high - low) * size] * (len(widths) - 1), widths, HORIZONTAL_LABEL_GAP_PX)

    def label_metrics(self) -> QFontMetrics:
        return QFontMetrics(self.style["tickFont"] or QApplication.font())

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802, N803 (pyqtgraph's names)
        """pyqtgraph's log ticks, without the minor ones (2 to 9 in each decade) where a decade is
        too short for them: seven decades on a 45-pixel axis drew a solid black bar. Of the minor
        ones, 2 and 5 make a level of their own, labelled where all eight would not fit: losses
        from 0.3 to 2.4 on a 110-pixel axis read "1" alone, and now "0.5 1 2". None repeats a
        decade's tick (pyqtgraph drew the "1" twice)."""
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        decades = [(spacing, values) for spacing, values in ticks if spacing is not None]
        decade_px = size / (maxVal - minVal) if maxVal > minVal else math.inf
        if decade_px < 9 * MIN_MINOR_TICK_GAP_PX:
            return decades
        taken = {round(value, 9) for _, values in decades for value in values}
        minor = [value for spacing, values in ticks if spacing is None for value in values if round(value, 9) not in taken]
        two_and_five = [value for value in minor if round(10 ** (value % 1)) in (2, 5)]
        return [*decades, (None, two_and_five), (None, [value for value in minor if value not in two_and_five])]

    def tickStrings(self, values: list[float], scale: float, spacing: float | None) -> list[str]:  # noqa: N802 (pyqtgraph's name)
        """At steps of 1000 or more, in the largest label's unit: 2.5k, 10k, 200k, or -0.5M, 0.5M,
        1M (G, T): short enough for the room cache_axes keeps ("1000k" ran past an exploding
        gradient's histogram). Smaller steps with as many decimals as the step needs (pyqtgraph
        stops at the step's first digit: at steps of 0.25 it wrote 0.25 as "0.2" and 0.75 as
        "0.8"), values under 0.001 as 2.5e-6 (pyqtgraph: 2.5e-06). A log axis writes its labels
        plainly where all lie from 0.0001 to 1000 (pyqtgraph wrote 10 as "10¹" between "1" and
        "100"), else all as powers, 10⁻⁸ or 2·10⁻⁸ (pyqtgraph wrote "10⁻⁸ 0.0001 1", two styles on
        one axis). A linear axis asks for its minor labels with no
        spacing: pyqtgraph's own strings then (an exception here, inside a cached paint, crashes
        Qt: no values at all is no exception either)."""
        if self.logMode:
            # One digit, as pyqtgraph: 2, not 2.0000000000000004; no power past 1e308 (an OverflowError in a paint).
            plain = [float(f"{10.0 ** min(v, 308.0) * scale:.1g}") for v in values]
            if all(1e-4 <= x < 1e4 for x in plain):
                return [f"{x:g}" for x in plain]
            return [power_of_ten(x) for x in plain]
        if spacing is None:
            return super().tickStrings(values, scale, spacing)
        step = spacing * scale
        if step >= 1000:
            largest = max((abs(v * scale) for v in values), default=0.0)
            unit, suffix = next(((unit, suffix) for unit, suffix in LARGE_UNITS if largest >= unit), LARGE_UNITS[-1])
            return [f"{v * scale / unit:g}{suffix}" if v else "0" for v in values]
        if any(abs(v * scale / step - round(v * scale / step)) > 1e-6 for v in values):
            step /= 2  # odd multiples of half the step (either_side_of_zero): 0.005 at steps of 0.01
        places = decimals(step)
        return [tick_label(v * scale if abs(v * scale) > step * 1e-9 else 0.0, places) for v in values]  # 5.6e-17 is 0


SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """10⁻⁸, 2·10⁻⁸, 10⁰: one significant digit, as pyqtgraph's log labels."""
    if value == 0:  # under float's smallest: pyqtgraph writes 0 too
        return "0"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT_DIGITS)
    return power if mantissa == "1" else f"{mantissa}·{power}"


def tick_label(value: float, places: int) -> str:
    return f"{value:.{places}f}" if 1e-3 <= abs(value) < 1e4 else compact_exponent(f"{value:g}")


def decimals(step: float) -> int:
    """How many decimals write every multiple of `step` exactly: 2 for 0.25, 1 for 2.5, 0 for 250."""
    places = max(0, -math.floor(math.log10(step)))
    while places < 15 and abs(round(step, places) - step) > step * 1e-9:
        places += 1
    return places


def cache_axes(plot: pg.PlotItem) -> None:
    """Draw each axis into a pixmap and reuse it until its range changes. Repainting tick
    labels is most of a plot's paint time, and a curve update would otherwise redraw them.
    Two levels of ticks (and grid lines), not three: the finest level cost a third of a
    plot's paint (2.8 ms instead of 4.5 for the curves) for lines too faint to read. Vertical
    axes start with room for WIDEST_LABEL and never give room back: an axis that widened (5000
    to 10000) or narrowed laid the whole panel out again, every axis of it redrawn, a 20-35 ms
    paint while training. A wider label still widens its axis (a fixed room hid it instead)."""
    label_space = QFontMetrics(QApplication.font()).horizontalAdvance(WIDEST_LABEL)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        axis.setStyle(maxTickLevel=1)
        if name in ("left", "right"):
            axis.textWidth = label_space  # pyqtgraph's public record of the room its labels took so far
            axis.setStyle(autoReduceTextSpace=False)  # grows for a wider label, never shrinks back


class OverhangingTitle(pg.LabelItem):
    """A plot title that does not set its plot's least width. pyqtgraph's LabelItem makes its
    text's width its least, again at every resize: in a grid of plots in a narrow dock (on a
    1024-pixel screen) a long title ("pre-activation gradients over time") widened its column
    and pushed the grid's last column out of view. This one overhangs the data area, centred on
    it, but slides sideways to stay within its plot, axes included: at the window's right edge,
    "confusion matrix (% of row)" lost its last letters past the plot."""

    def __init__(self, text: str, parent: pg.PlotItem, **style: str) -> None:
        super().__init__(text, parent=parent, **style)
        self.geometryChanged.connect(lambda: self.resizeEvent(None))  # the plot's axes widen: its cell moves, unresized

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(0)

    def resizeEvent(self, ev: object) -> None:
        super().resizeEvent(ev)  # centres the text over the title's cell
        self._keep_inside()

    def _keep_inside(self) -> None:
        """Move the text back inside the plot where centring put it past an edge (centred on
        the plot where it is wider than the whole plot)."""
        plot_item = self.parentItem()
        if plot_item is None:
            return
        text = self.itemRect()
        plot = self.mapRectFromItem(plot_item, plot_item.boundingRect())
        if text.width() >= plot.width():
            shift = plot.center().x() - text.center().x()
        else:
            shift = max(0.0, plot.left() - text.left()) + min(0.0, plot.right() - text.right())
        self.item.moveBy(shift, 0)


def add_legend_row(graphics: pg.GraphicsLayoutWidget, row: int, colspan: int = 1) -> pg.LegendItem:
    """A legend in a row of its own under the plots, centred, three entries to a line: over a
    plot it covered what it named (the curves' first epochs, an experiment's worst variant)."""
    legend = pg.LegendItem(labelTextSize="8pt", colCount=3)
    legend.layout.setContentsMargins(0, 0, 0, 0)  # a line's height each: the plots keep the rest
    graphics.addItem(legend, row=row, col=0, colspan=colspan)
    graphics.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
    return legend


class ChangeMarks:
    """Dotted lines where settings were changed live: named on the `named` plot ("lr 0.1 → 0.5", a
    setting a line), plain on the `plain` ones, which show the same steps. Where two names would
    lie over each other (a slider dragged in short rests while training), the earlier is left
    out; `near` tells every mark under the pointer."""

    COLOUR = "#555555"
    POINT_SIZE = 8.0  # the names are small: they stand over the curves
    NAME_GAP_PX = 2  # between two names side by side

    def __init__(self, named: pg.PlotItem | None, plain: tuple[pg.PlotItem, ...]) -> None:
        self.named, self.plain = named, plain
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []  # as drawn
        self._shown: tuple[SettingChange, ...] = ()
        if named is not None:  # which names fit changes as the view moves or the plot resizes
            named.vb.sigXRangeChanged.connect(self._name_what_fits)
            named.vb.sigResized.connect(self._name_what_fits)

    def show(self, changes: Sequence[SettingChange]) -> None:
        if tuple(changes) == self._shown:
            return
        self._shown = tuple(changes)
        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines.clear()
        pen = pg.mkPen(self.COLOUR, width=1, style=Qt.PenStyle.DotLine)
        for change in changes:
            drawn = [(plot, pg.InfiniteLine(change.step, angle=90, pen=pen)) for plot in self.plain]
            if self.named is not None:
                drawn.append((self.named, self._named_line(change, pen)))
            for plot, line in drawn:
                plot.addItem(line, ignoreBounds=True)
                self.lines.append((plot, line))
        self._name_what_fits()

    @property
    def named_lines(self) -> list[pg.InfiniteLine]:
        """The named plot's lines, one a change, oldest first."""
        return [line for plot, line in self.lines if plot is self.named]

    def near(self, step: float, plot: pg.PlotItem, within_px: float) -> list[SettingChange]:
        """The changes marked within `within_px` of `step` on `plot`, oldest first."""
        steps_per_px = units_per_px(plot.vb)[0]
        return [change for change in self._shown if abs(change.step - step) <= within_px * steps_per_px]

    def _name_what_fits(self) -> None:
        """Name each mark whose name has room before the next mark's (the newest is always named)."""
        named_lines = self.named_lines
        if not named_lines:
            return
        steps_per_px = units_per_px(self.named.vb)[0]
        following: pg.InfiniteLine | None = None  # the next named mark
        for line in reversed(named_lines):
            fits = following is None or steps_per_px <= 0 or (
                (following.value() - line.value()) / steps_per_px >= max(across(line), across(following)) + self.NAME_GAP_PX)  # fmt: skip
            line.label.setVisible(fits)
            if fits:
                following = line

    def _named_line(self, change: SettingChange, pen: QPen) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            change.step, angle=90, pen=pen, label=change.text.replace(", ", "\n"),
            # Hung from the plot's top, reading upwards: centred on a point, a long one ran out of the plot.
            labelOpts={"position": 0.98, "anchors": [(1, 0), (1, 1)], "rotateAxis": (1, 0), "color": self.COLOUR, "fill": (255, 255, 255, 150)},
        )  # fmt: skip
        font = line.label.textItem.font()
        font.setPointSizeF(self.POINT_SIZE)
        line.label.setFont(font)
        return line


def units_per_px(view: pg.ViewBox) -> tuple[float, float]:
    """How much of the view's x and y range a pixel spans (0 before the view has a size). From
    the range and the size, not pyqtgraph's viewPixelSize: that is cached, and inside a slot of
    the range's change it still gave the old range's."""
    (left, right), (bottom, top) = view.viewRange()
    width, height = view.width(), view.height()
    return ((right - left) / width if width > 0 else 0.0, (top - bottom) / height if height > 0 else 0.0)


def across(line: pg.InfiniteLine) -> float:
    """How wide, in pixels, a vertical line's name reading upwards is: its lines of text, stacked."""
    return line.label.boundingRect().height()


def give_overhanging_title(plot: pg.PlotItem, title: str, **style: str) -> None:
    """Put an OverhangingTitle where pyqtgraph's PlotItem made its own, and set it to `title`
    (later titles keep `style`)."""
    made = plot.titleLabel
    plot.layout.removeItem(made)
    made.setParentItem(None)
    if made.scene() is not None:
        made.scene().removeItem(made)
    plot.titleLabel = OverhangingTitle("", size="11pt", parent=plot)
    plot.layout.addItem(plot.titleLabel, 0, 1)
    plot.setTitle(title, **style)


class HoverTip(QObject):
    """A tooltip that says what lies under the mouse in `plot`: a heatmap's colours have no
    numbers of their own. `describe(x, y)` gets the point in the plot's data coordinates and
    gives the text, or None where there is nothing to read.

    It answers Qt's own tooltip event (the mouse at rest, then every move while a tip shows), as
    the view's items would: a tip shown on mouse moves instead was hidden again by the scene the
    moment the mouse rested, since none of its items has a tooltip."""

    def __init__(self, widget: pg.GraphicsView, plot: pg.PlotItem, describe: Callable[[float, float], str | None]) -> None:
        super().__init__(widget)
        self.widget = widget
        self.plot = plot
        self.describe = describe
        widget.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return False
        text = self.text_at(self.widget.mapToScene(event.pos()))
        if text is None:
            return False  # the scene's turn: another item's tooltip, or none (it hides ours)
        QToolTip.showText(event.globalPos(), text, self.widget)
        return True

    def text_at(self, position: QPointF) -> str | None:
        """What to say with the mouse at `position` of the scene."""
        if not self.plot.vb.sceneBoundingRect().contains(position):
            return None
        point = self.plot.vb.mapSceneToView(position)
        return self.describe(point.x(), point.y())


def time_span(steps: Sequence[int]) -> tuple[int, int]:
    """The steps a heatmap over time spans: the first probe's to the last's, at least one."""
    return steps[0], max(steps[-1], steps[0] + 1)


def column_under(x: float, steps: Sequence[int]) -> int | None:
    """The column of a heatmap over time (a column a probe, at `steps`) under `x`: its columns
    share its `time_span` evenly, whatever the steps between the probes."""
    if not len(steps):
        return None
    first, last = time_span(steps)
    if not first <= x <= last:
        return None
    return min(int((x - first) / (last - first) * len(steps)), len(steps) - 1)


def has_lone_point(values: np.ndarray) -> bool:
    """Whether a finite value has no finite neighbour. A line joins nothing to it, so it is not
    drawn: the first probe after an update, or the last before a divergence, left a plot blank."""
    finite = np.isfinite(values)
    joined = np.r_[False, finite[:-1]] | np.r_[finite[1:], False]
    return bool((finite & ~joined).any())


def dots_if_lone(values: np.ndarray, colour: str) -> dict:
    """A line's symbol options for `setData`: dots on its points when one has no line to it."""
    return {"symbol": "o" if has_lone_point(values) else None, "symbolSize": 5, "symbolPen": None, "symbolBrush": colour}


def set_title(plot: pg.PlotItem, title: str) -> None:
    """plot.setTitle, skipped when the title is already shown: setting it re-renders the
    title's HTML and lays the plot out again, dozens of times a second in a live panel."""
    if plot.titleLabel.text != title:
        plot.setTitle(title)


def as_band(data: tuple[float, float]) -> tuple[float, float]:
    """One value (or all equal) as a band around it, the same every time."""
    d0, d1 = data
    if d1 > d0:
        return d0, d1
    half = (abs(d0) or 1.0) / 2
    return d0 - half, d0 + half


def fitted(data: tuple[float, float], non_negative: bool = False) -> tuple[float, float]:
    """A fresh fit: the data with a small margin, none below zero for non-negative data."""
    d0, d1 = as_band(data)
    span = d1 - d0
    return max(d0 - PADDING * span, 0.0 if non_negative else -math.inf), d1 + PADDING * span


def at_least_share(data: tuple[float, float], share: float) -> tuple[float, float]:
    """`data` widened about its middle to at least `share` of its largest magnitude: a new run's
    two first losses, 1e-4 apart, labelled the loss axis 2.306250 to 2.306325."""
    low, high = data
    missing = share * max(abs(low), abs(high)) - (high - low)
    return (low - missing / 2, high + missing / 2) if missing > 0 else data


def steady_range(
    view: tuple[float, float],
    data: tuple[float, float],
    headroom: float,
    non_negative: bool = False,
    slack: float = 0.0,
    slides: bool = False,
    end: float = math.inf,
) -> tuple[float, float]:
    """The view range to show `data` in, given the view now: unchanged while the data fit
    (to within `slack`) and fill at least a third of it; widened with `headroom` (a share of
    the data's span) on the side the data left; fitted afresh when the data shrank.
    `slides`: the data are a window of the latest steps (the "over time" views), which moves
    on: once it left the first third of the view empty, the view starts at the data again.
    non_negative data (steps, losses, counts) are given no room below zero.
    `end`: where the data will stop growing (a run's last step), if known: the view reaches no
    further while the data are short of it (near a run's end, room to double was half the plot)."""
    lo, hi = view
    d0, d1 = as_band(data)
    span = d1 - d0
    below, above = d0 < lo - slack, d1 > hi + slack
    if below or above:
        floor = 0.0 if non_negative else -math.inf
        lo, hi = max(d0 - headroom * span, floor) if below else lo, d1 + headroom * span if above else hi
    elif span < (hi - lo) * SHRINK_BELOW:
        lo, hi = fitted(data, non_negative)
    elif slides and d0 - lo > (hi - lo) * SHRINK_BELOW:
        lo = fitted(data, non_negative)[0]
    return lo, min(hi, max(end, d1))


class SteadyViewBox(pg.ViewBox):
    """A ViewBox whose auto-range moves in jumps (see steady_range) rather than with every
    point, so a live curve redraws its axes a few dozen times a run, not every frame.
    Everything else is pyqtgraph's: panning or zooming turns auto-range off, and the
    plot's "A" button turns it back on.

    headroom: per axis (x, y), the room left on the side the data grow towards.
    min_span: per axis, the narrowest view: a run's first steps then need no jumps at all.
    min_share: per axis, the narrowest view as a share of the data's largest magnitude (see
    at_least_share).
    marker_room_px: how far a view of non-negative data reaches below 0, in pixels, so that a
    marker at 0 (the first epoch's, at step 0) shows whole rather than cut in half by the axis.
    slides: per axis, whether the data are a window that moves on (see steady_range)."""

    def __init__(
        self,
        headroom: tuple[float, float] = (1.0, 0.5),
        min_span: tuple[float, float] = (0.0, 0.0),
        slides: tuple[bool, bool] = (False, False),
        min_share: tuple[float, float] = (0.0, 0.0),
        marker_room_px: float = 0.0,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.headroom = headroom
        self.min_span = min_span
        self.slides = slides
        self.min_share = min_share
        self.marker_room_px = marker_room_px
        self.ends = [math.inf, math.inf]  # per axis, where the data will stop growing (see set_end)

    def set_end(self, axis: int, end: float) -> None:
        """Where the data will stop growing on `axis` (a run's last step; inf where unknown):
        the view keeps room to grow up to there only."""
        if end != self.ends[axis]:
            self.ends[axis] = end
            self.updateAutoRange()

    def updateAutoRange(self) -> None:  # noqa: N802 (pyqtgraph's name)
        """Replaces pyqtgraph's tight fit, which would move the axes on every new point."""
        self._follow_data(fit=False)

    def fit(self) -> None:
        """Fit the auto-ranged axes to the data now, without room to grow: for data that
        stopped growing (a paused or finished run), which would otherwise fill half the view."""
        self._follow_data(fit=True)

    def _follow_data(self, fit: bool) -> None:
        auto = self.state["autoRange"]
        bounds = self.childrenBounds(items=self._drawn_items())  # padded by each item's symbol and pen size, in pixels
        view = self.viewRange()
        pixel = self.viewPixelSize()
        target: dict[str, tuple[float, float]] = {}
        for axis, key in ((0, "xRange"), (1, "yRange")):
            if auto[axis] is False or bounds[axis] is None:
                continue
            slack = SLACK_PX * pixel[axis] if math.isfinite(pixel[axis]) else 0.0
            low, high = bounds[axis]
            least = min(low + self.min_span[axis], self.ends[axis])  # no wider than the data will reach
            data = at_least_share((low, max(high, least)), self.min_share[axis])
            non_negative = self._non_negative(axis)
            if fit:
                wanted = fitted(data, non_negative)
            else:
                end = self.ends[axis] + PADDING * (self.ends[axis] - low)  # as a fit of data up to there would end
                wanted = steady_range(tuple(view[axis]), data, self.headroom[axis], non_negative, slack, self.slides[axis], end)
            if non_negative:
                wanted = self._with_marker_room(axis, wanted, tuple(view[axis]))
            if wanted != tuple(view[axis]):
                target[key] = wanted
        self._autoRangeNeedsUpdate = False  # pyqtgraph's flag: asked again on its next data change
        if target:
            self.setRange(**target, padding=0.0, disableAutoRange=False)

    def _with_marker_room(self, axis: int, wanted: tuple[float, float], view: tuple[float, float]) -> tuple[float, float]:
        """`wanted`, if it starts at or below 0, starting marker_room_px below 0 in the view it
        makes, at the view's size now (a view laid out anew gets its room anew); the view as it
        is where that is within half a pixel. The padded bounds of a marker at 0 then fit
        within the slack: no further move."""
        size = self.width() if axis == 0 else self.height()
        low, high = wanted
        if low > 0.0 or not self.marker_room_px or size <= 2 * self.marker_room_px:
            return wanted
        room = -self.marker_room_px * high / (size - self.marker_room_px)
        if view[1] == high and abs(view[0] - room) < (high - room) / size / 2:
            return view
        return room, high

    def _drawn_items(self) -> list[pg.GraphicsObject]:
        """The items with something to show. An image not set yet bounds a 0 x 0 rectangle at
        the origin, which read as data at 0 and labelled an empty step axis -400 to 400 (x0.001)."""
        return [item for item in self.addedItems if not (isinstance(item, pg.ImageItem) and item.image is None)]

    def _non_negative(self, axis: int) -> bool:
        """Whether every plotted value on `axis` is >= 0, from the data themselves: the padded
        bounds reach below zero by a few pixels, more at first in a view not yet fitted."""
        bounds = [item.dataBounds(axis) for item in self.addedItems if item.isVisible() and hasattr(item, "dataBounds")]
        lows = [b[0] for b in bounds if b is not None and b[0] is not None]  # lines and empty items have none
        return bool(lows) and min(lows) >= 0


def fit_steady_views(widget: QWidget) -> None:
    """Fit every steady view under `widget` to its data: the plots of a run that stopped
    growing (paused or finished), which the room left to grow would shrink to half the view."""
    for view in widget.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, SteadyViewBox):
                item.fit()


def graphics_layout() -> pg.GraphicsLayoutWidget:
    """A GraphicsLayoutWidget for plots with SparseAxis labels along the bottom: its right margin
    holds an end label overhanging the last plot by END_LABEL_OVERHANG_PX (pyqtgraph's 9 pixels
    cut a histogram's "0.50" at the panel's right edge)."""
    graphics = pg.GraphicsLayoutWidget()
    left, top, _, bottom = graphics.ci.layout.getContentsMargins()
    graphics.ci.layout.setContentsMargins(left, top, END_LABEL_OVERHANG_PX, bottom)
    return graphics


def steady_plot(
    layout: pg.GraphicsLayoutWidget | pg.GraphicsLayout,
    headroom: tuple[float, float] = (1.0, 0.5),
    min_span: tuple[float, float] = (0.0, 0.0),
    slides: tuple[bool, bool] = (False, False),
    min_share: tuple[float, float] = (0.0, 0.0),
    marker_room_px: float = 0.0,
    **kwargs: object,
) -> pg.PlotItem:
    """layout.addPlot with a SteadyViewBox, cached axes and a whole-number SparseAxis for x (steps or
    epochs): for plots that grow while training."""
    axes = {"bottom": SparseAxis("bottom", whole=True), **kwargs.pop("axisItems", {})}  # type: ignore[dict-item]
    plot = layout.addPlot(viewBox=SteadyViewBox(headroom, min_span, slides, min_share, marker_room_px), axisItems=axes, **kwargs)
    cache_axes(plot)
    return plot


def sharp_picture(view: pg.GraphicsView, scale: int = EXPORT_SCALE) -> QImage:
    """What `view` shows, drawn anew at `scale` pixels per screen pixel: sharp on a slide or a
    high-density screen. pyqtgraph's ImageExporter, asked for a wider image, enlarged the plots
    but left the legend's text at its screen size."""
    shown = view.viewport().rect()
    image = QImage(shown.size() * scale, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(scale)  # the painter draws in screen pixels, Qt scales them
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.render(painter, QRectF(shown), shown)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    """`image` encoded as PNG in memory, for engine.files to write whole or not at all."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SaveError("cannot encode the picture as PNG")
    return buffer.data().data()
