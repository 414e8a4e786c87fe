"""The steady auto-range: axes stay put while the data fit, and jump with room to spare;
sparse axes keep the labels of short plots apart."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from engine.experiments import polynomial_degrees
from engine.numbers import significant
from engine.stats import EpochReport, History
from gui.app import make_application
from gui.panels.activation import ActivationPanel
from gui.panels.comparison import ComparisonPanel
from gui.panels.curves import MARKER_SIZE_PX, CurvesPanel, factor_text
from gui.panels.gradient_flow import GradientFlowPanel
from gui.panels.histograms import HistogramsPanel
from gui.panels.network import NetworkPanel
from gui.panels.random_matrices import RandomMatricesPanel
from gui.plotting import MAX_INTERVALS, MIN_LABEL_GAP_PX, MIN_MINOR_TICK_GAP_PX, SHRINK_BELOW, SLACK_PX, SparseAxis, cache_axes, fit_steady_views, give_overhanging_title, has_lone_point, steady_plot, steady_range
from tests.gui.conftest import drawn_labels, shown


def test_the_view_stays_while_the_data_fit():
    assert steady_range((0.0, 15.0), (0.0, 12.0), headroom=0.5) == (0.0, 15.0)
    assert steady_range((0.0, 15.0), (1.0, 15.0), headroom=0.5) == (0.0, 15.0)


def test_data_leaving_the_view_widen_it_on_that_side_with_headroom():
    assert steady_range((0.0, 10.0), (0.0, 12.0), headroom=0.5) == (0.0, 18.0)
    assert steady_range((-3.0, -1.0), (-3.5, -1.5), headroom=0.5) == (-4.5, -1.0)


def test_data_that_are_never_negative_get_no_room_below_zero():
    assert steady_range((0.3, 2.4), (0.25, 2.3), headroom=0.5, non_negative=True) == (0.0, 2.4)  # a falling loss
    assert steady_range((0.3, 2.4), (0.25, 2.3), headroom=0.5)[0] < 0.0
    assert steady_range((0.0, 100.0), (10.0, 20.0), headroom=0.5, non_negative=True)[0] >= 0.0


def test_data_that_shrank_get_a_fresh_fit():
    lo, hi = steady_range((0.0, 100.0), (10.0, 20.0), headroom=0.5)
    assert lo < 10.0 and 20.0 < hi and (hi - lo) * SHRINK_BELOW < 10.0
    assert steady_range((lo, hi), (10.0, 20.0), headroom=0.5) == (lo, hi), "and keep it"


def test_a_window_that_moved_on_takes_the_empty_start_back():
    """The "over time" views keep the latest probes: once the first third of the view is
    empty, the view starts at the data again and keeps its room to grow."""
    assert steady_range((0.0, 12000.0), (3000.0, 10400.0), headroom=1.0, slides=True) == (0.0, 12000.0)
    lo, hi = steady_range((0.0, 12000.0), (4100.0, 10400.0), headroom=1.0, non_negative=True, slides=True)
    assert 3900.0 < lo < 4100.0 and hi == 12000.0
    assert steady_range((lo, hi), (4200.0, 10500.0), headroom=1.0, non_negative=True, slides=True) == (lo, hi), "and keep it"
    assert steady_range((0.0, 12000.0), (4100.0, 10400.0), headroom=1.0) == (0.0, 12000.0), "a curve from the start: no slide"


def test_the_room_to_grow_stops_where_the_data_will_end():
    """Near a run's end its steps had room to double: half the plot stayed empty to the end."""
    assert steady_range((0.0, 100.0), (0.0, 120.0), headroom=1.0, end=150.0) == (0.0, 150.0)
    assert steady_range((0.0, 100.0), (0.0, 120.0), headroom=1.0, end=110.0) == (0.0, 120.0), "data past the end still show"
    assert steady_range((0.0, 400.0), (0.0, 150.0), headroom=1.0, end=200.0) == (0.0, 200.0), "an end brought closer"
    assert steady_range((0.0, 100.0), (0.0, 120.0), headroom=1.0) == (0.0, 240.0), "no end known: room as before"


def test_a_single_value_gets_a_band_that_does_not_flicker():
    first = steady_range((0.0, 1.0), (3.0, 3.0), headroom=0.5)
    assert first[0] <= 3.0 <= first[1]
    assert steady_range(first, (3.0, 3.0), headroom=0.5) == first
    zero = steady_range((5.0, 9.0), (0.0, 0.0), headroom=0.5)
    assert zero[0] < 0.0 < zero[1]


def growing_curve(qtbot, steady: bool = True):
    """A narrow plot whose curve has symbols: pyqtgraph pads its bounds by ~6 pixels."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = steady_plot(widget) if steady else widget.addPlot()
    curve = plot.plot(symbol="s", symbolSize=7)
    widget.resize(260, 220)
    widget.show()
    return widget, plot, curve


def settle(widget) -> None:
    pg.QtWidgets.QApplication.processEvents()
    widget.viewport().repaint()  # pyqtgraph applies a pending auto-range before painting


def view_changes_while_a_loss_curve_grows(qtbot, steady: bool) -> int:
    widget, plot, curve = growing_curve(qtbot, steady)
    ranges = []
    loss = 2.3 * np.exp(-np.arange(1, 301) / 100) + 0.3
    for n in range(2, 301):
        curve.setData(np.arange(n), loss[:n])
        settle(widget)
        ranges.append(tuple(map(tuple, plot.vb.viewRange())))
        (x0, x1), (y0, y1) = ranges[-1]
        x_slack, y_slack = (SLACK_PX * size for size in plot.vb.viewPixelSize())  # a few pixels' leeway
        assert x0 - x_slack <= 0 and n - 1 <= x1 + x_slack, "every point in view"
        assert y0 - y_slack <= loss[:n].min() and loss[:n].max() <= y1 + y_slack, "every point in view"
        if steady:
            assert x0 >= -x_slack and y0 >= -y_slack, "no room below zero for steps and losses"
    return sum(a != b for a, b in zip(ranges, ranges[1:]))


def test_a_growing_curve_moves_the_axes_a_few_times_not_every_point(qtbot):
    assert view_changes_while_a_loss_curve_grows(qtbot, steady=False) > 290, "pyqtgraph's own auto-range: every point"
    assert view_changes_while_a_loss_curve_grows(qtbot, steady=True) < 20


def test_panning_turns_the_steady_range_off_and_the_auto_button_back_on(qtbot):
    widget, plot, curve = growing_curve(qtbot)
    curve.setData(np.arange(10), np.arange(10.0))
    settle(widget)
    plot.vb.setXRange(100, 200, padding=0)  # what a drag does: auto-range off on that axis
    curve.setData(np.arange(50), np.arange(50.0))
    settle(widget)
    assert plot.vb.viewRange()[0] == pytest.approx([100, 200])
    plot.vb.enableAutoRange()  # the "A" button
    settle(widget)
    x0, x1 = plot.vb.viewRange()[0]
    assert x0 <= 0 and 49 <= x1 < 100


def test_a_heatmap_of_the_latest_probes_keeps_its_view_on_them(qtbot):
    """An "over time" image holds the last probes only: as it moves on, the view follows it
    in a few jumps, never leaving more than a third of the plot empty before it."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = steady_plot(widget, headroom=(1.0, 0.0), slides=(True, False))
    image = pg.ImageItem(np.zeros((4, 8)), axisOrder="row-major")
    plot.addItem(image)
    widget.resize(260, 220)
    widget.show()
    kept, ranges = 300, []
    for last in range(25, 20_000, 25):  # a probe every 25 steps
        first = max(25, last - (kept - 1) * 25)
        image.setRect(first, 0, max(last - first, 1), 1)
        settle(widget)
        x0, x1 = plot.vb.viewRange()[0]
        ranges.append((x0, x1))
        slack = SLACK_PX * plot.vb.viewPixelSize()[0]  # a few pixels' leeway
        assert x0 - slack <= first and last <= x1 + slack, "the whole image in view"
        assert first - x0 <= (x1 - x0) / 3 + 1, f"steps {first}-{last} in a view of {x0:.0f}-{x1:.0f}"
    assert len(set(ranges)) < 20, "the view moves in jumps"


def test_an_image_not_set_yet_leaves_the_view_as_it_is(qtbot):
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = steady_plot(widget, slides=(True, False))
    plot.addItem(pg.ImageItem(axisOrder="row-major"))
    widget.show()
    before = plot.vb.viewRange()
    settle(widget)
    assert plot.vb.viewRange() == before and before[0][0] >= 0, "not a band around step 0"


def shown_curves_panel(qtbot) -> CurvesPanel:
    """The curves panel at the size of its place in the window, on screen."""
    make_application()
    panel = CurvesPanel()
    shown(qtbot, panel, 560, 340)
    return panel


def test_a_first_batch_shows_as_a_dot_until_a_second_joins_it(qtbot):
    """After one press of Step the batch curves held one point each, which a line does not draw:
    the loss and accuracy showed only the epoch-0 markers, as if the step had done nothing."""
    panel = shown_curves_panel(qtbot)
    history = History()
    history.add_step(1, 2.2, 0.25)
    panel.refresh(history)
    for key, value in (("step_loss", 2.2), ("step_acc", 0.25)):
        dots = panel.items[key].scatter.getData()
        assert list(dots[0]) == [1.0] and np.isclose(dots[1][0], value), key
    history.add_step(2, 2.1, 0.3)
    panel.refresh(history)
    assert all(panel.items[key].opts["symbol"] is None for key in ("step_loss", "step_acc")), "a line, as before"


def test_losses_spanning_decades_offer_the_log_scale_and_a_regression_gives_the_loss_the_width(qtbot):
    """A polynomial's MSE falls from 45 to 0.01: on a linear axis every epoch but the first lay
    flat at the bottom; its accuracy plot stood empty beside it."""
    panel = shown_curves_panel(qtbot)
    history = History()
    for epoch, loss in enumerate((45.0, 2.0, 0.05, 0.01)):
        history.epochs.append(EpochReport(epoch, 10 * epoch, loss, 1.5 * loss, None, None, 0.0, 0.0, (), ()))
    panel.refresh(history)
    assert panel.readout.text() == "Losses differ 7,000-fold: log-scale loss shows them all."
    settle(panel.graphics)
    assert not panel.acc_plot.isVisible() and panel.loss_plot.width() > 0.9 * panel.graphics.width()
    panel.log_scale.setChecked(True)
    assert panel.readout.text() == "Hover a curve to read it."
    panel.log_scale.setChecked(False)
    close = History(epochs=[EpochReport(e, 10 * e, 2.3 - e, 2.3 - e, 0.1, 0.2, 0.0, 0.0, (), ()) for e in range(2)])
    panel.refresh(close)
    settle(panel.graphics)
    assert panel.readout.text() == "Hover a curve to read it." and panel.acc_plot.isVisible()
    assert panel.loss_plot.width() < 0.6 * panel.graphics.width(), "a classifier's accuracy back beside it"


def name_side(line: pg.InfiniteLine) -> str:
    """Where a level line's name stands on the screen: above the line or below it."""
    name = line.label.sceneBoundingRect()
    at = line.mapToScene(QPointF(0, 0)).y()
    return "above" if name.bottom() <= at + 1 else "below" if name.top() >= at - 1 else "across"


def flat_on_chance(last_epoch_loss: float, epochs: int = 100, steps_per_epoch: int = 25) -> History:
    """A two-class run whose batch losses scatter from 0.5 to 0.9 around ln 2, its epochs' losses
    moving from just under ln 2 to `last_epoch_loss`."""
    rng = np.random.default_rng(0)
    history = History()
    for step in range(1, epochs * steps_per_epoch + 1):
        history.add_step(step, float(rng.uniform(0.5, 0.9)), 0.5)
    for epoch, loss in enumerate(np.linspace(0.68, last_epoch_loss, epochs + 1)):
        history.epochs.append(EpochReport(epoch, epoch * steps_per_epoch, loss, loss - 0.01, 0.6, 0.6, 0.0, 0.0, (), ()))
    return history


def markers_behind(panel: CurvesPanel, line: pg.InfiniteLine) -> int:
    """How many of the loss plot's epoch markers lie under the line's name on the screen."""
    name = line.label.sceneBoundingRect()
    behind = 0
    for key in ("train_loss", "test_loss"):
        for x, y in zip(*panel.items[key].getData()):
            behind += name.contains(panel.loss_plot.vb.mapViewToScene(QPointF(x, y)))
    return behind


def test_the_chance_name_stands_clear_of_the_epochs_markers(qtbot):
    """A spiral run stays on chance: its latest test losses, just under ln 2, were drawn behind
    "chance: ln 2", which hangs under the line. It stands on the line while they are there."""
    panel = shown_curves_panel(qtbot)
    panel.set_classes(2)
    panel.refresh(flat_on_chance(0.68))
    fit_steady_views(panel)  # the run is over: its markers reach the plot's right end, under the name
    settle(panel.graphics)
    assert name_side(panel.chance_loss) == "above" and markers_behind(panel, panel.chance_loss) == 0
    panel.refresh(flat_on_chance(0.1))  # a run that learns leaves the line: the name hangs under it
    fit_steady_views(panel)
    settle(panel.graphics)
    assert name_side(panel.chance_loss) == "below" and markers_behind(panel, panel.chance_loss) == 0
    assert name_side(panel.chance_acc) == "below", "the accuracy's markers lie over its 1/2"


def test_chance_lies_at_ln_k_on_the_loss_on_either_scale_and_at_one_in_k_on_the_accuracy(qtbot):
    panel = shown_curves_panel(qtbot)
    lines = (panel.chance_loss, panel.chance_acc)
    assert not any(line.isVisible() for line in lines), "none before a model says its classes"
    panel.set_classes(10)
    assert all(line.isVisible() for line in lines)
    assert panel.chance_loss.value() == pytest.approx(math.log(10)) and panel.chance_acc.value() == pytest.approx(0.1)
    assert [line.label.textItem.toPlainText() for line in lines] == ["chance: ln 10", "chance: 1/10"]
    assert panel.chance_loss.zValue() > panel.items["step_loss_raw"].zValue(), "over the batches' noise"
    assert panel.early_stop.zValue() > panel.chance_loss.zValue(), "under early stop's name"
    epochs = ("train_loss", "test_loss", "train_acc", "test_acc")
    assert min(panel.items[key].zValue() for key in epochs) > panel.early_stop.zValue(), "the epochs' markers over both names"
    settle(panel.graphics)
    assert name_side(panel.chance_acc) == "above", "little room under 1/10"
    panel.log_scale.setChecked(True)
    assert panel.chance_loss.value() == pytest.approx(math.log10(math.log(10))), "a line is not moved by the log mode"
    panel.set_classes(2)
    assert panel.chance_loss.value() == pytest.approx(math.log10(math.log(2))) and panel.chance_acc.value() == 0.5
    settle(panel.graphics)
    assert name_side(panel.chance_acc) == "below", "a chance-level XOR's accuracy wanders over 1/2"
    panel.log_scale.setChecked(False)
    assert panel.chance_loss.value() == pytest.approx(math.log(2))
    panel.set_classes(None)
    assert not any(line.isVisible() for line in lines), "a regression has no chance level"


def test_one_batchs_spike_far_over_the_epochs_losses_offers_the_log_scale_too(qtbot):
    """At lr 10 one batch's loss reached 4,000, and the epochs' 2.3 lay flat at the bottom of a
    linear axis up to it, with no word of the log scale (the epochs' losses alone are close)."""
    panel = shown_curves_panel(qtbot)
    history = History(epochs=[EpochReport(e, 10 * e, 2.3 + 0.1 * e, 2.4, 0.1, 0.1, 0.0, 0.0, (), ()) for e in range(3)])
    for step, loss in enumerate((2.3, 4000.0, 2.4, 2.3)):
        history.add_step(step, loss, 0.1)
    panel.refresh(history)
    assert panel.readout.text() == f"Losses differ {factor_text(4000.0 / 2.3)}-fold: log-scale loss shows them all." == (
        "Losses differ 2,000-fold: log-scale loss shows them all.")  # fmt: skip
    calm = History(epochs=history.epochs)
    for step, loss in enumerate((2.3, 30.0, 0.001, 2.3)):  # a batch's lowest loss is noise: the bottom is the epochs'
        calm.add_step(step, loss, 0.1)
    panel.refresh(calm)
    assert panel.readout.text() == "Hover a curve to read it."


def test_a_factor_reads_plainly_below_a_million():
    assert [factor_text(x) for x in (100.0, 149.0, 6700.0, 2.4e5, 3.2e12)] == ["100", "100", "7,000", "200,000", "3e12"]


def test_the_epoch_early_stopping_would_keep_is_marked_once_its_patience_has_run_out(qtbot):
    panel = shown_curves_panel(qtbot)
    history = History()

    def epochs_with_test_loss(*losses: float) -> None:
        for loss in losses:
            epoch = len(history.epochs)
            history.epochs.append(EpochReport(epoch, 100 * epoch, loss, loss, None, None, 0.0, 0.0, (), ()))
        panel.refresh(history)

    epochs_with_test_loss(2.3, 1.0, 0.5, 0.6, 0.7)
    assert not panel.early_stop.isVisible(), "two epochs above epoch 2's loss: patience left"
    epochs_with_test_loss(0.55)
    assert panel.early_stop.isVisible() and panel.early_stop.value() == 200
    assert panel.readout.text() == "Early stopping keeps epoch 2 (test loss 0.5)."
    epochs_with_test_loss(0.4)
    assert not panel.early_stop.isVisible() and panel.readout.text() == "Hover a curve to read it.", "a new lowest: training goes on"
    epochs_with_test_loss(math.nan, 0.45, 0.5)
    assert panel.early_stop.isVisible() and panel.early_stop.value() == 600, "NaN is nobody's lowest"


def test_the_curves_panel_keeps_steps_and_losses_above_zero(qtbot):
    """The epoch markers' symbols pad their bounds by ~6 pixels below step 0 and loss 0: that
    must not read as data below zero (it once sent the view to -1,300 steps). The view reaches
    below 0 by half a marker only, which shows the markers at step 0 whole; the view's moves
    are counted: the margin must add none."""
    panel = shown_curves_panel(qtbot)
    history = History()
    history.epochs.append(EpochReport(0, 0, 2.3, 2.3, 0.1, 0.1, 0.0, 0.0, (), ()))
    noise = np.random.default_rng(0).normal(0, 0.05, 2000)
    x_ranges = set()
    for epoch in range(1, 25):
        for _ in range(43):
            step = len(history.step_index) + 1
            history.add_step(step, 2.3 * np.exp(-step / 200) + 0.1 + abs(noise[step]), 0.8)
            if step % 5 == 0:
                panel.refresh(history)
                settle(panel.graphics)
                (x0, x1), (y0, _) = panel.loss_plot.vb.viewRange()
                x_pixel, y_pixel = panel.loss_plot.vb.viewPixelSize()
                room = panel.loss_plot.vb.marker_room_px
                assert -(room + SLACK_PX) * x_pixel <= x0 <= -MARKER_SIZE_PX / 2 * x_pixel, f"step {step}: view from x {x0:.3g}"
                assert y0 >= -(room + SLACK_PX) * y_pixel, f"step {step}: view from y {y0:.3g}"
                x_ranges.add((x0, x1))
        history.epochs.append(EpochReport(epoch, len(history.step_index), 0.5, 0.5, 0.8, 0.8, 1.0, 1.0, (), ()))
    assert len(x_ranges) <= 6, f"the steps' axis moved {len(x_ranges)} times over 1,000 steps"


def test_the_room_before_step_0_follows_the_plots_size(qtbot):
    """The room is in pixels: a panel first drawn small (a window still being laid out) and then
    shown large keeps half a marker before step 0, not the small one's share of the steps."""
    panel = shown_curves_panel(qtbot)
    panel.resize(200, 150)
    history = History()
    history.epochs.append(EpochReport(0, 0, 2.3, 2.3, 0.1, 0.1, 0.0, 0.0, (), ()))
    panel.refresh(history)
    settle(panel.graphics)
    panel.resize(900, 500)
    settle(panel.graphics)
    x0 = panel.loss_plot.vb.viewRange()[0][0]
    x_pixel = panel.loss_plot.vb.viewPixelSize()[0]
    assert -(MARKER_SIZE_PX / 2 + 1.5) * x_pixel <= x0 <= -MARKER_SIZE_PX / 2 * x_pixel, f"{x0 / x_pixel:.1f} px"


@pytest.mark.parametrize("width", [650, 900, 1000, 1300])
def test_both_step_axes_label_step_0_whatever_the_width(qtbot, width):
    """The views start half a marker before step 0, so the "0" label pokes out of the plot by
    a pixel or so, as the width rounds; pyqtgraph bounds an axis with a grid by the grid alone and
    dropped it: at 1920x1080 the accuracy's steps read "400 800 1200 1600" beside the loss's "0 400..."."""
    panel = shown_curves_panel(qtbot)
    panel.resize(width, 420)
    history = History()
    history.epochs.append(EpochReport(0, 0, 2.3, 2.3, 0.1, 0.1, 0.0, 0.0, (), ()))
    for step in range(1, 1324):
        history.add_step(step, 2.3 * np.exp(-step / 500) + 0.3, 0.85 * (1 - np.exp(-step / 300)))
        if step % 235 == 0:
            history.epochs.append(EpochReport(step // 235, step, 0.5, 0.5, 0.8, 0.8, 1.0, 1.0, (), ()))
    panel.refresh(history)
    for _ in range(3):
        settle(panel.graphics)
    for plot in (panel.loss_plot, panel.acc_plot):
        labels = [text for _, text in drawn_labels(plot.getAxis("bottom"))]
        assert labels[0] == "0" and len(labels) >= 3, f"{plot.titleLabel.text}: {labels}"


def test_a_minimum_span_spares_the_first_steps_any_jump(qtbot):
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = steady_plot(widget, min_span=(100, 0))
    curve = plot.plot()
    widget.resize(300, 200)
    widget.show()
    x_ranges = set()
    for n in range(2, 100):
        curve.setData(np.arange(n), np.ones(n))
        settle(widget)
        x_ranges.add(tuple(plot.vb.viewRange()[0]))
    assert len(x_ranges) == 1 and x_ranges.pop()[1] >= 99


def test_a_new_runs_first_losses_label_the_loss_axis_shortly(qtbot):
    """A fresh model's train and test losses, 2.30625 and 2.30633, labelled the axis 2.306250 to
    2.306325: the view spans a tenth of the loss at least; a curve wider than that keeps its fit."""
    panel = shown_curves_panel(qtbot)
    history = History()
    history.epochs.append(EpochReport(0, 0, 2.30625, 2.30633, 0.1, 0.1, 0.0, 0.0, (), ()))
    panel.refresh(history)
    settle(panel.graphics)
    y0, y1 = panel.loss_plot.vb.viewRange()[1]
    assert y1 - y0 >= 0.1 * 2.30633 and y0 < 2.30625 and y1 > 2.30633
    labels = [text for _, text in drawn_labels(panel.loss_plot.getAxis("left"))]
    assert labels and all(len(text) <= 4 for text in labels), labels
    for step in range(1, 301):
        history.add_step(step, 2.3 * np.exp(-step / 100) + 0.1, 0.8)
    panel.refresh(history)
    fit_steady_views(panel)
    settle(panel.graphics)
    y0, y1 = panel.loss_plot.vb.viewRange()[1]
    assert y0 < 0.2 and 2.3 < y1 < 2.8, "the losses' own span, far over a tenth of them"


def test_a_long_title_slides_back_inside_its_plot_and_a_short_one_stays_centred(qtbot):
    """A title is centred over the data area, which a wide left axis pushes right: in a plot at
    the window's right edge, "confusion matrix (% of row)" ran past the plot and lost "ow)"."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot()
    give_overhanging_title(plot, "a title rather longer than the data area")
    plot.getAxis("left").setTicks([[(0, "a wide label on the left axis")]])
    widget.resize(400, 200)
    widget.show()
    qtbot.waitExposed(widget)

    def text_and_plot():
        for _ in range(3):  # the left axis widens to its label as it paints
            settle(widget)
        return plot.titleLabel.item.sceneBoundingRect(), plot.sceneBoundingRect()

    text, whole = text_and_plot()
    assert text.width() > plot.vb.width(), "the title is wider than the data area: it must overhang"
    assert whole.left() <= text.left() and text.right() <= whole.right() + 0.5, "inside the plot"
    plot.setTitle("short")
    text, whole = text_and_plot()
    assert text.center().x() == pytest.approx(plot.vb.sceneBoundingRect().center().x(), abs=1), "centred on the data"
    plot.setTitle("a title far wider than the whole plot, axes and all, which cannot fit it anyway")
    text, whole = text_and_plot()
    assert text.center().x() == pytest.approx(whole.center().x(), abs=1), "centred on the plot, both ends cut alike"


@pytest.mark.parametrize("last_step", [60, 1000])
def test_the_steps_axis_of_a_running_run_ends_near_its_last_step(qtbot, last_step):
    """The steps' axis keeps room to grow while the run goes on, but not past where it will end:
    at 97 % of a run it reached twice as far. A run shorter than the minimum span gets no more
    room than it needs either."""
    panel = shown_curves_panel(qtbot)
    history = History()
    history.epochs.append(EpochReport(0, 0, 2.3, 2.3, 0.1, 0.1, 0.0, 0.0, (), ()))
    for step in range(1, last_step):
        history.add_step(step, 2.3 * np.exp(-step / 100) + 0.1, 0.8)
        if step % 10 == 0 or step == last_step - 1:
            for plot in panel.step_plots:
                plot.vb.set_end(0, last_step)
            panel.refresh(history)
            settle(panel.graphics)
            x0, x1 = panel.loss_plot.vb.viewRange()[0]
            slack = SLACK_PX * panel.loss_plot.vb.viewPixelSize()[0]
            assert step - slack <= x1 <= 1.03 * last_step, f"step {step}: view to {x1:.0f}"
    assert x1 >= last_step, "room for the last steps"
    assert panel.acc_plot.vb.viewRange()[0] == pytest.approx([x0, x1]), "accuracy follows the loss plot's steps"


def test_curves_of_a_stopped_run_fill_the_view(qtbot):
    """While training the view keeps room to grow; once the run stops the curves fit it."""
    panel = shown_curves_panel(qtbot)
    history = History()
    for step in range(1, 301):
        history.add_step(step, 2.3 * np.exp(-step / 100) + 0.1, 0.8)
        if step % 10 == 0:
            panel.refresh(history)
            settle(panel.graphics)
    x0, x1 = panel.loss_plot.vb.viewRange()[0]
    assert x1 > 1.2 * 300, "room to grow while training"
    fit_steady_views(panel)  # the window does so when the run stops
    settle(panel.graphics)
    x0, x1 = panel.loss_plot.vb.viewRange()[0]
    assert -0.03 * 300 < x0 < 0 and 300 <= x1 < 1.1 * 300, "half a marker's room before step 0"
    assert panel.acc_plot.vb.viewRange()[0] == pytest.approx([x0, x1]), "accuracy follows the loss plot's steps"


@pytest.mark.parametrize("size", [25.0, 40.0, 90.0, 400.0])
@pytest.mark.parametrize("top", [3.7, 4500.0, 12_000.0, 0.02])
def test_a_sparse_axis_keeps_its_labels_apart_and_round(size, top):
    make_application()
    ((spacing, offset),) = SparseAxis("left").tickSpacing(0.0, top, size)
    assert offset == 0.0
    assert spacing / top * size >= MIN_LABEL_GAP_PX, "labels at least MIN_LABEL_GAP_PX apart"
    assert top / spacing <= MAX_INTERVALS, "a long axis gets a handful of labels, not a stack"
    mantissa = spacing / 10 ** np.floor(np.log10(spacing))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 4, 5)) < 1e-9, "a round step"
    if size >= 2 * MIN_LABEL_GAP_PX:
        assert spacing <= top, "two labels at least, where there is room for them"


@pytest.mark.parametrize("size", [60.0, 90.0, 140.0, 230.0, 600.0])
@pytest.mark.parametrize("low, top", [(0.0, 300.0), (0.0, 900.0), (0.0, 9000.0), (0.0, 13_000.0), (0.0, 250_000.0), (-0.5, 0.5), (-1.0, 2.0**-6), (0.0, 2.0**-17), (-(2.0**-17), 2.0**-17)])
def test_a_horizontal_sparse_axis_keeps_a_gap_between_its_labels(size, low, top):
    """A step axis of a narrow plot (a 1024-pixel screen), or a histogram's values: labels side
    by side never touch, however long ("-7.5e-6")."""
    make_application()
    axis = SparseAxis("bottom")
    ((spacing, _),) = axis.tickSpacing(low, top, size)
    values = list(np.arange(math.ceil(low / spacing), math.floor(top / spacing) + 1) * spacing)
    labels = axis.tickStrings(values, 1.0, spacing)
    widths = [QFontMetrics(QApplication.font()).horizontalAdvance(label) for label in labels]
    apart = spacing / (top - low) * size
    assert all(apart > (left + right) / 2 + 3 for left, right in zip(widths, widths[1:])), f"labels {labels} closer than their widths"
    mantissa = spacing / 10 ** np.floor(np.log10(spacing))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 4, 5)) < 1e-9, "a round step"


@pytest.mark.parametrize("size", [90.0, 107.0])
@pytest.mark.parametrize("end", [2.0**-4, 2.0**-5])
def test_neighbouring_labels_need_half_of_each_ones_width(size, end):
    """A label is centred on its tick: "-0.02" and "0" need half of each one's width between
    them, not the widest twice. Counted so, a histogram of small values (a sticky range of
    +-2^-5) under a plot 90 to 107 pixels wide reads "-0.025 0 0.025", not a lone "0"."""
    make_application()
    axis = SparseAxis("bottom")
    ((spacing, _),) = axis.tickSpacing(-end, end, size)
    assert spacing < end, f"steps of {spacing} leave a lone 0 on +-{end}"


@pytest.mark.parametrize("end, size", [(2.0**-7, 95.0), (2.0**-17, 60.0)])
def test_where_only_zero_would_be_labelled_the_values_either_side_of_it_are(size, end):
    """A 95-pixel histogram of gradients within +-0.0078 (a 1024-pixel screen's) had room for
    neither "-0.005 0 0.005" nor more than a lone "0", which gave no scale: it reads "-0.005 0.005"."""
    make_application()
    axis = SparseAxis("bottom")
    ((spacing, offset),) = axis.tickSpacing(-end, end, size)
    assert offset == spacing / 2 and spacing / 2 < end < spacing, "ticks at plus and minus half a step"
    labels = axis.tickStrings([-offset, offset], 1.0, spacing)
    assert labels == [f"-{significant(offset)}", significant(offset)], "written to the half step's precision"
    assert axis.labels_fit(-end, end, size, spacing, offset)
    ((roomy, offset),) = axis.tickSpacing(-end, end, 3 * size)
    assert offset == 0.0 and roomy < end, "with room, zero and both sides"


def test_of_two_steps_with_as_many_labels_the_rounder_is_taken():
    """Steps of 4 label a histogram from -4 to 4 (-4 0 4); where 5 labels as much, 5 wins: a
    45-pixel percentage axis read "0 40 80", its 100 unlabelled."""
    make_application()
    assert SparseAxis("left").tickSpacing(0.0, 100.0, 45.0) == [(50.0, 0.0)]
    assert SparseAxis("bottom").tickSpacing(-0.5, 0.5, 90.0) == [(0.5, 0.0)]
    assert SparseAxis("bottom").tickSpacing(-4.16, 4.16, 75.0) == [(4.0, 0.0)]  # -2.5 0 2.5 fits too


@pytest.mark.parametrize("spacing", [2.5e-6, 2.5e-4, 0.025, 0.25, 0.5, 2.5, 25.0, 250.0, 2500.0, 25_000.0, 2.5e5, 5e5, 2.5e6, 5e9])
def test_tick_labels_write_every_multiple_of_their_step_exactly(spacing):
    """pyqtgraph gives a label its step's first digit: at steps of 0.25 it wrote "0.2" for 0.25.
    Large steps count in thousands, millions and billions (2.5k, 2.5M, 5G), never "1000k"
    (an exploding gradient's histogram, at steps of 500k up to 1M)."""
    make_application()
    values = [k * spacing for k in range(-2, 5)]
    labels = SparseAxis("bottom").tickStrings(values, 1.0, spacing)
    units = {"k": 1e3, "M": 1e6, "G": 1e9}
    read = [float(label[:-1]) * units[label[-1]] if label[-1] in units else float(label) for label in labels]
    assert read == pytest.approx(values, rel=1e-9, abs=spacing * 1e-9), labels
    assert max(len(label) for label in labels) <= 8 and not any("000k" in label or "000M" in label for label in labels), labels
    assert SparseAxis("bottom").tickStrings([-0.3 + 3 * 0.1], 1.0, 0.1) == ["0"], "rounding noise (5.6e-17) reads 0"
    assert SparseAxis("bottom").tickStrings([], 1.0, spacing) == [], "no tick in view: no labels, no exception"


@pytest.mark.parametrize("top", [0.5, 1.0, 3.0, 5.0, 12.0, 130.0])
@pytest.mark.parametrize("size", [60.0, 140.0, 600.0])
def test_a_step_axis_labels_whole_steps_only(top, size):
    """The heatmaps' and curves' step and epoch axes: the first probe's heatmap, one step wide,
    read "0.25 0.50 0.75"; twelve epochs at steps of 2.5 read "2.5 7.5"."""
    make_application()
    ((spacing, _),) = SparseAxis("bottom", whole=True).tickSpacing(0.0, top, size)
    assert spacing >= 1 and spacing == int(spacing)
    ((free, _),) = SparseAxis("bottom").tickSpacing(0.0, top, size)
    assert spacing == free or free < 1 or free % 1, "a whole step where the values' own step was whole"


def test_panels_as_narrow_as_on_a_small_screen_keep_every_plot_and_the_legend_in_view(qtbot):
    """On a 1024-pixel screen the docks leave the centre panels about 460 pixels: the
    histograms' long titles held their grid 526 pixels wide (its third column cut off; the
    gradient flow's second column likewise), the curves' legend ran out of the loss plot on
    the left, the experiments' loss title pushed the plot of what each learned out on the
    right, and their legend hid the worst variant's loss. Legends now have a row of their own
    under the plots, where they cover no point."""
    make_application()
    histograms, curves, gradients, experiments = HistogramsPanel(), CurvesPanel(), GradientFlowPanel(), ComparisonPanel()
    experiments.pages.setCurrentWidget(experiments.graphics)  # as once an experiment runs
    for variant in polynomial_degrees():  # the longest names: "degree 19 (20 features)"
        experiments.legend.addItem(experiments.loss_plot.plot([1, 2], [10.0, 9.0]), variant.label)
    for panel in (histograms, curves, gradients, experiments):
        shown(qtbot, panel, 460, 300)
    qtbot.wait(50)
    for grid in (histograms.graphics, gradients.graphics, experiments.graphics):
        assert grid.ci.geometry().width() <= grid.viewport().width()
    for panel, plots in ((curves, (curves.loss_plot, curves.acc_plot)), (experiments, (experiments.loss_plot, experiments.outcome_plot))):
        legend = panel.legend.sceneBoundingRect()
        assert 0 <= legend.left() and legend.right() <= panel.graphics.viewport().width()
        for plot in plots:
            assert not legend.intersects(plot.vb.sceneBoundingRect()), "no data under the legend"
    assert experiments.legend.columnCount == 2, "three long names side by side are wider than 460 pixels"
    experiments.resize(900, 300)
    qtbot.wait(50)
    assert experiments.legend.columnCount == 3, "where they fit, the three on one line: the plots keep its height"
    for width in (900, 485):  # 485: the legend itself fits, not with the layout's margins
        experiments.resize(width, 300)
        qtbot.wait(50)
        assert experiments.graphics.ci.geometry().width() <= experiments.graphics.viewport().width(), width


def test_the_demonstrations_fit_the_network_column_of_a_small_screen(qtbot):
    """On a 1024-pixel screen the network's column, which these panels share, is about 220
    pixels wide: the title "‖M1·M2·…·Mk‖ against k" held its plot wider, cut off on the right."""
    make_application()
    matrices, activation, network = RandomMatricesPanel(), ActivationPanel(), NetworkPanel()
    activation.refresh("leaky_relu", None, 0)  # the longest activation name
    points = np.zeros((4, 2), dtype=np.float32)
    network.set_points((points, np.array([0, 1, 0, 1]), points, np.array([1, 0, 1, 0])))  # a plane set: the boundary shows
    for panel in (matrices, activation, network):
        shown(qtbot, panel, 220, 500)
    qtbot.wait(50)
    for plot in (matrices.plot, activation.graphics):
        assert plot.centralWidget.geometry().width() <= plot.viewport().width()
    assert network.graphics.ci.geometry().width() <= network.graphics.viewport().width(), "the boundary's title held it wider"


def test_the_products_of_random_matrices_read_in_one_style(qtbot):
    """Unit-variance factors reach 1e21 after 100: the axis read "1" under "10⁵", the line "1.37e+21"."""
    make_application()
    matrices = RandomMatricesPanel()
    shown(qtbot, matrices, 400, 600)
    qtbot.wait(50)
    labels = [text for _, text in drawn_labels(matrices.plot.getPlotItem().getAxis("left"))]
    assert len(labels) >= 3 and all(text.startswith("10") for text in labels), labels
    assert re.search(r"the norm is \d(\.\d+)?e2\d ", matrices.summary.text()), matrices.summary.text()


def test_a_sparse_axis_leaves_a_range_it_cannot_divide_to_pyqtgraph():
    make_application()
    axis = SparseAxis("left")
    assert axis.tickSpacing(1.0, 1.0, 40.0) == []
    for top in (math.inf, math.nan):  # a view pyqtgraph itself copes with
        assert axis.tickSpacing(0.0, top, 40.0) == pg.AxisItem("left").tickSpacing(0.0, top, 40.0)


def test_a_short_log_axis_over_many_decades_draws_no_minor_ticks():
    """Minor ticks (2 to 9 in a decade) only where they stand MIN_MINOR_TICK_GAP_PX apart."""
    make_application()
    axis = SparseAxis("left")
    axis.setLogMode(True)

    def minor_ticks(low: float, high: float, size: float) -> list[float]:
        return sorted(v for spacing, values in axis.tickValues(low, high, size) if spacing is None for v in values)

    assert minor_ticks(-6.0, 1.0, 45.0) == [], "seven decades in 45 pixels"
    minor = minor_ticks(-4.0, -2.0, 200.0)
    assert len(minor) >= 16 and np.diff(minor).min() * 100 >= MIN_MINOR_TICK_GAP_PX, "two decades in 200 pixels"


@pytest.mark.parametrize("height", [150, 300])
def test_a_log_axis_under_a_decade_labels_2_and_5_where_all_minor_labels_do_not_fit(qtbot, height):
    """Losses from 2.4 down to 0.28, an experiment's side by side, on a 110-pixel axis read "1"
    alone: pyqtgraph labels all eight minor ticks or none. Now "0.5 1 2" at least, every tick's
    label where they fit, and none twice (pyqtgraph drew the decade's "1" again as a minor tick)."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(300, height)
    plot = widget.addPlot(axisItems={"left": SparseAxis("left")})
    plot.setLogMode(y=True)
    plot.plot(np.arange(6), np.geomspace(2.4, 0.28, 6))
    widget.show()
    settle(widget)
    labels = [text for _, text in drawn_labels(plot.getAxis("left"))]
    assert len(labels) == len(set(labels)), labels
    assert {"0.5", "1", "2"} <= set(labels), labels
    if height == 300:
        assert set(labels) == {"0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1", "2"}


def test_a_short_log_axis_over_five_decades_gets_two_labels():
    """Update ratios from 10^-3.2 to 10^2 (the steady view's room to grow) on the 34 pixels the
    gradient flow gives its update/weight plot at 768 px: steps of 5 decades, or 4, left a lone
    "1", and 2 would crowd three labels 13 pixels apart. Three decades: "0.001 1"."""
    make_application()
    axis = SparseAxis("left")
    axis.setLogMode(False, True)
    low, high, size = -3.2, 2.0, 34.4
    [(spacing, offset)] = axis.tickSpacing(low, high, size)
    assert (spacing, offset) == (3.0, 0.0)
    [(_, values)] = axis.tickValues(low, high, size)
    assert axis.tickStrings(values, 1.0, spacing) == ["0.001", "1"]


@pytest.mark.parametrize("size", [45.0, 120.0])
def test_a_log_axis_labels_whole_decades(size):
    """Update ratios from 10^-5.3 to 10^-2.2 on a 45-pixel axis were labelled at steps of 2.5
    decades: "10⁻⁵" beside "0.003" (10^-2.5). Only whole powers of ten are labelled."""
    make_application()
    axis = SparseAxis("left")
    axis.setLogMode(False, True)
    ((spacing, _),) = axis.tickSpacing(-5.3, -2.2, size)
    assert spacing % 1 == 0
    values = [v for level, ticks in axis.tickValues(-5.3, -2.2, size) if level is not None for v in ticks]
    assert values and all(v % 1 == 0 for v in values), values


def test_the_loss_axes_on_a_log_scale_write_ten_plainly(qtbot):
    """The experiments' losses (always on a log axis) and the curves' log-scale loss read
    "10¹" between "1" and "0.1": their axes are pyqtgraph's no longer."""
    from gui.panels.comparison import ComparisonPanel
    from gui.panels.curves import CurvesPanel

    curves, comparison = CurvesPanel(), ComparisonPanel()
    curves.log_scale.setChecked(True)
    for panel in (curves, comparison):
        shown(qtbot, panel, 600, 400)
        panel.loss_plot.setYRange(-1.5, 1.5, padding=0)
        qtbot.wait(20)
        labels = [text for _, text in drawn_labels(panel.loss_plot.getAxis("left"))]
        assert "10" in labels and "10¹" not in labels, labels


def test_sparse_axis_labels_stay_short_and_the_axis_keeps_its_width(qtbot):
    """A vertical axis whose labels widen (5000 to 10000) would lay its panel out again."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot(axisItems={"left": SparseAxis("left")})
    cache_axes(plot)
    axis = plot.getAxis("left")
    assert axis.tickStrings([0.0, 2500.0, 10000.0, 200000.0], 1.0, 2500.0) == ["0", "2.5k", "10k", "200k"]
    assert axis.tickStrings([-7.5e-6, 0.0, 2.5e-5], 1.0, 2.5e-6) == ["-7.5e-6", "0", "2.5e-5"], "not pyqtgraph's -7.5e-06"
    bottom = SparseAxis("bottom")
    labels = [bottom.tickStrings(v, 1.0, spacing) for spacing, v in bottom.tickValues(-(2.0**-18), 2.0**-18, 100.0) if spacing is not None]
    assert labels == [["-2.5e-6", "0", "2.5e-6"]], "three labels under a 100-pixel histogram of gradients within ±3.8e-6"
    small = ([0.0, 0.5, 1.0], 1.0, 0.5)
    assert axis.tickStrings(*small) == pg.AxisItem("left").tickStrings(*small), "below a thousand: pyqtgraph's"
    log_axis, reference = SparseAxis("left"), pg.AxisItem("left")
    for each in (log_axis, reference):
        each.setLogMode(True)
    minor = ([-1.3, -1.0, 2.0, 3.0], 1.0, None)  # a log axis's minor labels come with no spacing
    assert reference.tickStrings(*minor) == ["0.05", "0.1", "10²", "10³"]
    assert log_axis.tickStrings(*minor) == ["0.05", "0.1", "100", "1000"], "plain from 0.0001 to 1000"
    decades = ([-5.0, -4.0, 0.0, 1.0, 2.0], 1.0, 1.0)
    assert reference.tickStrings(*decades) == ["10⁻⁵", "0.0001", "1", "10¹", "10²"]
    assert log_axis.tickStrings(*decades) == ["10⁻⁵", "10⁻⁴", "10⁰", "10¹", "10²"], "one style on an axis past 0.0001"
    assert log_axis.tickStrings([-8.0, -5.3, 4.0, -400.0], 1.0, None) == ["10⁻⁸", "5·10⁻⁶", "10⁴", "0"], "pyqtgraph's powers"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pyqtgraph's own overflow to inf
        assert len(log_axis.tickStrings([400.0], 1.0, 1.0)) == 1, "past 1e308: a label, not an OverflowError inside a paint"
    curve = plot.plot()
    widget.resize(300, 200)
    widget.show()
    widths = set()
    for top in (40.0, 900.0, 9000.0, 120000.0):
        curve.setData([0.0, 1.0], [0.0, top])
        plot.setYRange(0, top)
        settle(widget)
        widths.add(axis.width())
    assert len(widths) == 1, f"the axis kept one width: {widths}"


def test_a_label_wider_than_the_room_widens_its_axis_and_shows(qtbot):
    """Two nearly equal losses (2.30283 and 2.30297, a run not yet started) need 7-character
    labels: the axis grows for them once, rather than hiding them."""
    make_application()
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot()
    cache_axes(plot)
    axis = plot.getAxis("left")
    widget.resize(300, 200)
    widget.show()
    plot.setYRange(0.0, 2.0)
    settle(widget)
    room = axis.width()
    plot.setYRange(2.30283, 2.30297, padding=0)
    for _ in range(2):  # a paint measures the labels, the next pass lays the wider axis out
        settle(widget)
    shown = [text for _, text in drawn_labels(axis)]
    assert "2.30290" in shown and axis.width() > room
    plot.setYRange(0.0, 2.0)
    settle(widget)
    assert axis.width() > room, "and keeps the room: no narrowing and widening again"


@pytest.mark.parametrize(
    ("values", "lone"),
    [
        ([1.0], True),  # a single probe
        ([1.0, 2.0], False),
        ([1.0, np.nan, 2.0], True),  # each between gaps
        ([np.nan, 1.0, 2.0, np.nan], False),
        ([1.0, 2.0, np.nan, 3.0], True),  # the last, after a gap
        ([np.nan, np.inf], False),
        ([], False),
    ],
)
def test_a_point_no_line_reaches_is_found(values, lone):
    assert has_lone_point(np.array(values)) is lone
