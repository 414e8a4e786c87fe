"""Experiments from the menu, and pinned baselines on the curves."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QToolButton

from engine.experiments import EXPERIMENTS, VariantEpoch, compare, polynomial_degrees
from engine.numbers import significant
from gui.panels.comparison import HOVER_HINT
from tests.gui.conftest import WAIT_MS, wait_for


def test_an_experiment_runs_from_the_panel_or_the_menu_beside_the_main_run(qtbot, make_window):
    """Before any run the panel offers the menu's experiments (its plots were empty axes)."""
    window = make_window()
    menu = next(a for a in window.menuBar().actions() if a.text() == "E&xperiments").menu()
    steps_before = window.session.step
    panel = window.comparison
    assert panel.pages.currentWidget().widget() is panel.choices
    buttons = panel.choices.findChildren(QToolButton)
    assert [b.text() for b in buttons] == [a.text() for a in menu.actions() if not a.isSeparator()]
    lines = [label.text() for label in panel.choices.findChildren(QLabel)]
    assert "d2l's weight decay: 200-d linear regression from 20 points, lambda 0 against 3." in lines, "what it shows, in one line"
    assert lines[-1] == "Train the run's settings and the controls' pending ones together, from scratch", "side by side's too"
    assert not any("<" in line for line in lines), "plain text, not the menu's wrapped tooltips"
    weight_decay = next(a for a in menu.actions() if a.text().startswith("Weight decay"))
    assert menu.toolTipsVisible() and "d2l's weight decay:" in weight_decay.toolTip(), "and on hover in the menu"
    low, high = panel.loss_plot.vb.viewRange()[1]
    assert (low, high) == (-2, 1), "before any run: losses of 0.01 to 10 (log axis)"
    qtbot.mouseClick(next(b for b in buttons if b.text().startswith("Weight decay")), Qt.MouseButton.LeftButton)
    assert panel.pages.currentWidget() is panel.graphics
    wait_for(qtbot, lambda: len(panel.results) == 2, timeout=60000)
    none, decay = panel.results
    assert decay.test_loss < none.test_loss
    _, test_curve = panel.curves[(1, "test")].getData()
    assert len(test_curve) == 100, "one point per epoch"
    x0, x1 = panel.loss_plot.vb.viewRange()[0]
    assert 0 <= x0 < 5 and 100 <= x1 < 110, "the finished runs fit the view"
    assert "lambda 3" in panel.summary.text()
    losses = re.findall(r"(?:train|test) ([-\d.e]+)", panel.summary.text())
    assert len(losses) == 4 and all(len(loss.split("e")[0].replace(".", "").lstrip("0")) == 4 for loss in losses), "four digits each, side by side"
    assert window.session.step == steps_before and window.session.alive, "the main run is left alone"
    (y0, y1) = panel.loss_plot.vb.viewRange()[1]
    panel._on_mouse((panel.loss_plot.vb.mapViewToScene(QPointF(49.8, (y0 + y1) / 2)),))
    read = panel.readout.text()
    assert read.startswith("epoch 50 · ") and panel.readout.isVisible()
    for variant, label in enumerate(("lambda 0", "lambda 3")):
        (epoch, test), (_, train) = panel.points[(variant, "test")][49], panel.points[(variant, "train")][49]
        assert epoch == 50 and f"<b>{label}</b></span>: test {significant(test)}, train {significant(train)}" in read
    panel._on_mouse((QPointF(-50, -50),))
    assert panel.readout.text() == HOVER_HINT, "off the plot: the hint again"
    wait_for(qtbot, lambda: not panel.running)  # its thread ended


def test_pinned_baseline_is_labelled_by_what_differs(qtbot, make_window):
    window = make_window(start=True)
    wait_for(qtbot, lambda: len(window.session.history.epochs) >= 3)
    window.pin_action.trigger()
    baseline = window.curves.baselines[0]
    x, y = baseline.loss_item.getData()
    np.testing.assert_allclose(y, [e.test_loss for e in baseline.history.epochs])
    window.controls.dropout_on.setChecked(True)
    window.controls.dropout.setValue(0.5)
    wait_for(qtbot, lambda: window.session.config.model.dropout == 0.5)
    label = window.curves.legend.getLabel(baseline.loss_item)
    assert label.text == "baseline (test): dropout 0 vs 0.5"
    window.curves.clear_baselines()
    assert window.curves.baselines == [] and window.curves.legend.getLabel(baseline.loss_item) is None


def test_export_as_pytorch_code_writes_the_settings_in_force(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window()
    wait_for(qtbot, lambda: window.session.config is not None)
    script = tmp_path / "exported"  # no suffix: the dialog's .py is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(script), ""))
    with qtbot.waitSignal(window.jobs.finished, timeout=WAIT_MS) as done:
        window.export_code_action.trigger()
    assert done.args[1] == ""
    text = script.with_suffix(".py").read_text()
    hidden = list(window.session.config.model.hidden)
    assert f"HIDDEN = {hidden}" in text and f"LR = {window.session.config.train.lr!r}" in text
    compile(text, "exported.py", "exec")


def test_from_scratch_checkbox_builds_the_hand_written_model_on_reset(qtbot, make_window):
    window = make_window()
    controls = window.controls
    controls.optimizer.setCurrentText("adam")
    controls.from_scratch.setChecked(True)
    assert controls.optimizer.currentText() == "sgd" and not controls.optimizer.isEnabled()
    assert "from scratch" in controls.hint.text()
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.config.model.from_scratch and window.session.config.train.optimizer == "sgd"
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)


def test_side_by_side_trains_the_settings_in_force_against_those_shown(qtbot, make_window):
    window = make_window()
    wait_for(qtbot, lambda: window.session.config is not None)
    window.controls.epochs.setValue(2)
    window.controls.flush()
    wait_for(qtbot, lambda: window.session.config.train.epochs == 2)
    window.side_by_side_action.trigger()
    assert not window.comparison.running and "Change a setting" in window.statusBar().currentMessage()
    window.controls.init_scale.setValue(0.1)  # a reset-only change: pending in the controls
    window.side_by_side_action.trigger()
    panel = window.comparison
    wait_for(qtbot, lambda: len(panel.results) == 2, timeout=60000)
    in_force, shown = panel.results
    assert (in_force.label, shown.label) == ("in force", "shown")
    assert "init scale 1 vs 0.1" in panel.summary.text()
    assert len(panel.curves[(0, "test")].getData()[0]) == len(panel.curves[(1, "test")].getData()[0]) == 2
    assert in_force.learned.weight_norm > 3 * shown.learned.weight_norm, "each variant really trained its own settings"


def fashion_experiment(window):
    menu = next(a for a in window.menuBar().actions() if a.text() == "E&xperiments").menu()
    return next(a for a in menu.actions() if a.text().startswith("Dropout on Fashion-MNIST"))


def test_the_fashion_experiment_reads_the_sessions_data_folder(qtbot, make_window, monkeypatch, tmp_path):
    """Its variants looked only in the cache: a session on --data-dir's files downloaded them again."""
    import engine.data
    from engine.config import Config
    from engine.errors import DataError
    from tests.idx_files import write_idx_set

    downloads = []

    def no_download(*args):
        downloads.append(args)
        raise DataError("no download in this test")

    monkeypatch.setattr(engine.data, "download_idx_set", no_download)
    write_idx_set(tmp_path / "fashion", n_train=200, n_test=50)
    window = make_window(Config().with_changes(data={"name": "fashion-mnist", "data_dir": str(tmp_path / "fashion")}, train={"epochs": 1}))
    fashion_experiment(window).trigger()
    panel = window.comparison
    wait_for(qtbot, lambda: len(panel.results) == 3, timeout=60000)
    assert downloads == [] and "could not run" not in panel.summary.text()


def test_an_experiment_that_cannot_get_its_data_says_why_over_the_experiments(qtbot, make_window, monkeypatch):
    """A failed download left empty axes, their legend and a hint to hover them under the reason."""
    import engine.data
    from engine.errors import DataError

    def no_network(*args):
        raise DataError("download failed (no network in this test)")

    monkeypatch.setattr(engine.data, "download_idx_set", no_network)
    window = make_window()  # on digits: Fashion-MNIST is not in the (test's own) cache
    panel = window.comparison
    fashion_experiment(window).trigger()
    wait_for(qtbot, lambda: "could not run" in panel.summary.text(), timeout=60000)
    assert "no network in this test" in panel.summary.text()
    assert panel.pages.currentWidget().widget() is panel.choices, "the experiments to choose from, not empty plots"
    assert panel.readout.isHidden()
    wait_for(qtbot, lambda: not panel.running)
    weight_decay = next(b for b in panel.choices.findChildren(QToolButton) if b.text().startswith("Weight decay"))
    qtbot.mouseClick(weight_decay, Qt.MouseButton.LeftButton)
    assert panel.pages.currentWidget() is panel.graphics and panel.readout.isVisibleTo(panel), "another one runs as before"
    wait_for(qtbot, lambda: len(panel.results) == 2, timeout=60000)


def test_the_fashion_experiment_shows_its_download(qtbot, make_window, monkeypatch):
    """The first time, its variants downloaded Fashion-MNIST while the panel said "training"."""
    import engine.data
    from gui.panels.comparison import ComparisonPanel
    from tests.idx_files import write_idx_set

    def download(name, folder, progress):
        for done in (40, 100):
            progress("train-images-idx3-ubyte.gz", done, 100)
        write_idx_set(folder / "FashionMNIST" / "raw", n_train=200, n_test=50)

    monkeypatch.setattr(engine.data, "download_idx_set", download)
    shown = []
    original = ComparisonPanel._on_download

    def record(panel, *args):
        original(panel, *args)
        shown.append(panel.summary.text())

    monkeypatch.setattr(ComparisonPanel, "_on_download", record)
    window = make_window()  # on digits: Fashion-MNIST is not in the (test's own) cache
    fashion_experiment(window).trigger()
    panel = window.comparison
    wait_for(qtbot, lambda: len(panel.results) == 3, timeout=60000)
    assert shown[0].endswith("downloading train-images-idx3-ubyte.gz, 40%…")
    assert shown[1].endswith("training 3 variants side by side…"), "done: back to training"


def test_a_stopped_experiments_late_signals_leave_the_next_one_alone(qtbot, make_window):
    """An epoch queued by a stopped run arrived after the next one began: variant 2 of three
    drew into a run of two, a KeyError in the event loop (found by the random sessions)."""
    window = make_window()
    panel = window.comparison
    window.run_experiment(next(n for n in EXPERIMENTS if n.startswith("Model selection")))  # three variants
    stopped_run = panel._run
    window.run_experiment(next(n for n in EXPERIMENTS if n.startswith("Weight decay")))  # two variants
    late = next(item for item in compare(polynomial_degrees()) if isinstance(item, VariantEpoch) and item.index == 2)
    panel._on_epoch(stopped_run, late)  # as delivered late from the stopped worker
    panel._on_outcomes(stopped_run, [])
    assert (2, "train") not in panel.points and 2 not in panel.learned and panel.results == []
    wait_for(qtbot, lambda: len(panel.results) == 2, timeout=60000)
    assert panel.name.startswith("Weight decay")


def test_what_each_variant_learned_is_drawn_while_the_runs_go_on(qtbot, make_window):
    """The plot beside the losses stayed empty until the last variant finished: some forty
    seconds of the polynomial's 1500 epochs, minutes of Fashion-MNIST's."""
    window = make_window()
    panel = window.comparison
    window.run_experiment(next(n for n in EXPERIMENTS if n.startswith("Model selection")))

    def bars() -> list[pg.BarGraphItem]:
        return [item for item in panel.outcome_plot.items if isinstance(item, pg.BarGraphItem)]

    def heights_of_degree_3() -> np.ndarray:
        return np.array(bars()[1].opts["height"])  # after the true weights' bars

    wait_for(qtbot, lambda: len(bars()) == 4)  # the true weights and the three variants
    assert panel.results == [], "drawn before the runs end"
    assert panel.outcome_plot.titleLabel.text == "weights (grey: true)"
    early = heights_of_degree_3()
    wait_for(qtbot, lambda: len(bars()) == 4 and not np.allclose(heights_of_degree_3(), early))
    assert panel.results == [], "redrawn as they learn"
    panel._draw_learned()
    learned = panel.learned[0].first_weights[0].copy()
    learned[0] += panel.learned[0].first_bias[0]  # the bias and the x^0 feature share the constant term
    np.testing.assert_allclose(heights_of_degree_3(), learned)
    np.testing.assert_allclose(np.array(bars()[0].opts["height"])[:4], [5, 1.2, -3.4, 5.6])
    panel.stop()


def test_the_dropout_line_draws_each_variants_fit_over_the_points(qtbot, make_window):
    """A 1-D regression's variants are drawn as what they predict over the input range, with the
    training points and the true line y = x, while they learn."""
    window = make_window()
    panel = window.comparison
    window.run_experiment(next(n for n in EXPERIMENTS if n.startswith("Dropout: 200-200")))

    def curves() -> list[pg.PlotDataItem]:
        return [item for item in panel.outcome_plot.items if isinstance(item, pg.PlotDataItem)]

    wait_for(qtbot, lambda: len(panel.learned) == 2 and len(curves()) == 4)  # two fits, the points, the line
    panel.stop()
    panel._draw_learned()
    fits, points, line = curves()[:2], curves()[2], curves()[3]
    assert panel.outcome_plot.titleLabel.text == "fits over the data"
    for fit, (_, learned) in zip(fits, sorted(panel.learned.items())):
        np.testing.assert_array_equal(fit.yData, learned.fit_y)
    assert not np.array_equal(fits[0].yData, fits[1].yData), "with and without dropout, two fits"
    first = panel.learned[0]
    np.testing.assert_array_equal(points.xData, first.train_x)
    assert len(points.xData) == 20 and points.opts["pen"] is None, "the 20 training points, unjoined"
    np.testing.assert_array_equal(line.yData, line.xData)
    assert (line.xData[0], line.xData[-1]) == (first.fit_x.min(), first.fit_x.max())
