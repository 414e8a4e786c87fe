"""Hovering a plot reads the numbers behind it: the curves' epoch under the mouse, and a
heatmap over time's number behind the colour (colours alone have no scale to read them by)."""

from __future__ import annotations

import csv
import io

import numpy as np
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from engine.numbers import significant
from engine.stats import EpochReport, History
from engine.trainer import Trainer
from gui.app import make_application
from gui.panels.curves import HOVER_HINT, CurvesPanel, history_csv
from gui.plotting import column_under
from tests.gui.conftest import digits_config, shown
from tests.gui.test_drawing_in_parts import gradient_flow_panel, histograms_panel, probes


def hover(tip, plot, x: float, y: float) -> str:
    """The tooltip shown with the mouse resting at (x, y) of `plot`'s data."""
    rest_mouse(tip.widget, plot, x, y)
    assert QToolTip.isVisible()
    return QToolTip.text()


def rest_mouse(view, plot, x: float, y: float) -> None:
    """Qt's tooltip event, as the mouse resting at (x, y) of `plot`'s data sends it to `view`.
    The scene answers it too: a tip shown on mouse moves alone was hidden by it at once."""
    at = view.mapFromScene(plot.vb.mapViewToScene(QPointF(x, y)))
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at)))


def column_centre(snapshots, index: int) -> float:
    """The step at the middle of probe `index`'s column: the columns share the probes' span evenly."""
    first, last = snapshots[0].step, snapshots[-1].step
    return first + (index + 0.5) * (last - first) / len(snapshots)


def tip_goes_away(qtbot, tip, plot, x: float, y: float) -> None:
    """With the mouse at rest at (x, y) of `plot`'s data, the tooltip hides (Qt lets it linger a moment)."""
    rest_mouse(tip.widget, plot, x, y)
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)


def test_the_column_under_the_mouse_is_the_one_drawn_there_however_uneven_the_probes():
    """Single steps probed each, then every 25th: the columns share the span evenly, so the mouse
    at step 12 is over the second column (step 1), not the probe nearest 12 (step 2)."""
    steps = [0, 1, 2, 25, 50]  # five columns of 10 steps each
    assert [column_under(x, steps) for x in (0, 9.9, 12, 29, 30, 50)] == [0, 0, 1, 2, 3, 4]
    assert column_under(-0.1, steps) is None and column_under(50.1, steps) is None
    assert column_under(3, [7]) is None and column_under(7.5, [7]) == 0, "one probe: a column one step wide"
    assert column_under(3, []) is None


def test_the_gradient_norms_over_time_read_a_layers_norm_at_the_probe_nearest_the_mouse(qtbot):
    snapshots = probes(6)
    panel = gradient_flow_panel(qtbot, snapshots, "relu")
    probe = snapshots[3]
    for layer in range(len(probe.layers)):
        text = hover(panel._history_tip, panel.history_plot, column_centre(snapshots, 3), layer)
        assert text == f"L{layer + 1} at step {probe.step}: ‖∇W‖ {significant(probe.layers[layer].grad_norm)}"
    assert probe.layers[0].grad_norm != probe.layers[1].grad_norm, "the rows read different numbers"
    tip_goes_away(qtbot, panel._history_tip, panel.norm_plot, 0, -1.5)  # on the bars beside it


def test_the_histogram_over_time_reads_the_share_of_a_probes_values_in_the_bin_under_the_mouse(qtbot):
    snapshots = probes(4)
    panel = histograms_panel(qtbot, snapshots)
    panel.resize(900, 300)
    panel.show()
    panel.refresh(snapshots)
    qtbot.wait(50)
    kind = panel.heatmap_kind.currentData()
    probe = snapshots[2]
    hist = probe.layers[0].histograms[kind]
    assert (hist.lo, hist.hi) == (snapshots[-1].layers[0].histograms[kind].lo, snapshots[-1].layers[0].histograms[kind].hi)
    fullest = int(hist.counts.argmax())
    centre = (hist.edges[fullest] + hist.edges[fullest + 1]) / 2
    share = hist.counts[fullest] / hist.counts.sum()
    text = hover(panel._heatmap_tip, panel.heatmap_plot, column_centre(snapshots, 2), centre)
    assert text.startswith(f"step {probe.step}: {100 * share:.2g} % of the values in [{significant(hist.edges[fullest])}, ")
    empty = np.flatnonzero(hist.counts == 0)
    assert empty.size, "ReLU's activations leave bins of their range empty"
    centre = (hist.edges[empty[-1]] + hist.edges[empty[-1] + 1]) / 2
    assert hover(panel._heatmap_tip, panel.heatmap_plot, column_centre(snapshots, 2), centre).startswith(f"step {probe.step}: no values in ")
    tip_goes_away(qtbot, panel._heatmap_tip, panel.heatmap_plot, column_centre(snapshots, 2), hist.hi + 10 * (hist.hi - hist.lo))


def test_the_curves_read_the_epoch_nearest_the_mouse_and_the_batch_loss_under_it(qtbot):
    make_application()
    trainer = Trainer(digits_config(epochs=3))
    for _ in range(3 * trainer.state.batches_per_epoch):
        trainer.train_step()
    history = trainer.history
    panel = CurvesPanel()
    shown(qtbot, panel, 700, 340)
    panel.refresh(history)
    qtbot.wait(50)
    second = history.epochs[2]  # epochs[0] is the look before training
    step = second.step - 2
    index = history.step_index.index(step)
    # The panel hears the scene's mouse through a rate-limited proxy: its slot gets the position.
    panel._on_mouse((panel.loss_plot.vb.mapViewToScene(QPointF(step, 1.0)),))
    assert panel.readout.text() == (
        f"epoch 2 · loss: train {significant(second.train_loss)}, test {significant(second.test_loss)} · "
        f"accuracy: train {second.train_acc:.3f}, test {second.test_acc:.3f} · batch loss {significant(history.step_loss[index])} at step {step}"
    )
    panel._on_mouse((panel.acc_plot.vb.mapViewToScene(QPointF(history.epochs[1].step + 1, 0.5)),))
    assert panel.readout.text().startswith("epoch 1 · "), "the accuracy plot reads the same way"
    panel._on_mouse((QPointF(-50, -50),))
    assert panel.readout.text() == HOVER_HINT, "off the plots: the hint again"


def test_the_batch_loss_read_is_the_nearest_steps():
    """The pointer a hair past a step (84.0000001, from a pixel mapped back to the plot) read the
    next step's batch loss, the first at or after it."""
    make_application()
    history = History()
    for step in (1, 2, 3, 10, 20):  # a long run's history thins its older steps out
        history.add_step(step, step / 100, 0.5)
    history.epochs.append(EpochReport(1, 20, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0, (), ()))
    panel = CurvesPanel()
    panel.refresh(history)
    read = {x: panel.describe(x).split(" · ")[-1] for x in (-5, 2.0000001, 2.6, 6.4, 6.6, 16, 99)}
    assert read == {
        -5: "batch loss 0.01 at step 1",
        2.0000001: "batch loss 0.02 at step 2",
        2.6: "batch loss 0.03 at step 3",
        6.4: "batch loss 0.03 at step 3",
        6.6: "batch loss 0.1 at step 10",
        16: "batch loss 0.2 at step 20",
        99: "batch loss 0.2 at step 20",
    }


def test_marks_of_live_changes_too_close_to_name_each_are_named_by_the_newest_and_read_on_hover(qtbot):
    """A slider dragged in short rests while training left marks a few pixels apart, their names
    over each other."""
    make_application()
    history = History()
    for step in range(1001):
        history.add_step(step, 1.0, 0.5)
    history.epochs += [EpochReport(epoch, 500 * epoch, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0, (), ()) for epoch in range(3)]
    for step, text in ((300, "lr 0.1 → 0.3"), (303, "lr 0.3 → 0.05"), (306, "lr 0.05 → 0.5"), (700, "dropout 0 → 0.5")):
        history.mark_change(step, text)
    panel = CurvesPanel()
    shown(qtbot, panel, 700, 340)
    panel.refresh(history)
    panel.loss_plot.setXRange(0, 1000, padding=0)
    qtbot.wait(50)

    def names() -> list[str]:
        return [line.label.toPlainText() for line in panel.marks.named_lines if line.label.isVisible()]

    assert names() == ["lr 0.05 → 0.5", "dropout 0 → 0.5"], "a pixel apart: the newest of the three named"
    panel._on_mouse((panel.loss_plot.vb.mapViewToScene(QPointF(303, 1.0)),))
    assert panel.readout.text().endswith("at step 300: lr 0.1 → 0.3 · at step 303: lr 0.3 → 0.05 · at step 306: lr 0.05 → 0.5")
    panel._on_mouse((panel.acc_plot.vb.mapViewToScene(QPointF(700, 0.5)),))
    assert panel.readout.text().endswith("· at step 700: dropout 0 → 0.5"), "on the accuracy plot's plain marks too"
    panel.loss_plot.setXRange(290, 320, padding=0)
    qtbot.wait(50)
    assert names() == ["lr 0.1 → 0.3", "lr 0.3 → 0.05", "lr 0.05 → 0.5", "dropout 0 → 0.5"], "zoomed in, each has room"


def test_the_curves_csv_ends_with_the_settings_changed_live():
    history = History()
    history.add_step(1, 2.3, 0.1)
    history.mark_change(1, "lr 0.1 → 0.5")
    rows = list(csv.reader(io.StringIO(history_csv(history))))
    assert rows[-2:] == [["step", "settings_changed"], ["1", "lr 0.1 → 0.5"]]
