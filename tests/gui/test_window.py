"""The real window, driven as a user would: offscreen, with the real engine underneath."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6 import QtGui
from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QPointF, QRectF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QToolTip,
    QWidget,
)

from engine import commands as cmd
from engine.config import Config
from engine.errors import DataError
from engine.presets import PRESETS
from engine.trainer import Trainer
from gui.app import make_application
from gui.main_window import MainWindow, finished_text, remembered_config
from gui.session import Session
from gui.widgets import as_sentence, wrapped_tip
from tests.gui.conftest import WAIT_MS, digits_config, press_shortcut, wait_for
from tests.gui.test_gradient_panels import open_tab


@pytest.fixture
def warnings(monkeypatch) -> list[tuple[str, str]]:
    """Message boxes are recorded instead of shown (a modal box would block the test)."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append((title, text)))
    return shown


def test_title_and_a_model_ready(make_window):
    window = make_window()
    assert "MLP Lab" in window.windowTitle() and "64-32-10" in window.windowTitle()
    assert window.session.mode == "paused"
    assert [e.epoch for e in window.session.history.epochs] == [0]


def test_the_epoch_bar_says_busy_while_the_model_loads(qtbot, make_window):
    window = make_window()
    assert window.epoch_progress.maximum() == 1000 and window.epoch_progress.text() == "epoch 1: 0%"
    busy = []
    window.session.mode_changed.connect(lambda mode, _: busy.append((mode, window.epoch_progress.maximum())))
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.session.open(digits_config())  # as at start-up, or after data that failed to load
    wait_for(qtbot, lambda: window.session.mode == "paused")
    assert ("loading", 0) in busy, "Qt's busy bar while loading"
    assert busy[-1] == ("paused", 1000) and window.epoch_progress.text() == "epoch 1: 0%"


def test_training_draws_curves_and_histograms(qtbot, make_window):
    window = make_window()
    press_shortcut(qtbot, window, " ")  # Space starts training
    wait_for(qtbot, lambda: len(window.session.history.epochs) >= 3 and len(window.session.snapshots) >= 3)
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "paused")
    window.redraw()
    history = window.session.history
    x, y = window.curves.items["test_loss"].getData()
    assert list(x) == [e.step for e in history.epochs]
    np.testing.assert_allclose(y, [e.test_loss for e in history.epochs])
    _, acc = window.curves.items["test_acc"].getData()
    assert acc[-1] > acc[0], "accuracy must rise while digits trains"
    assert len(window.curves.items["step_loss"].getData()[0]) == len(history.step_index) > 10

    probe = window.session.snapshot.layers[0]
    edges, counts = window.histograms.curves["act"].getData()
    hist = probe.histograms["act"]
    np.testing.assert_array_equal(counts, hist.counts)
    np.testing.assert_array_equal(edges, hist.edges)
    rows, remainder = divmod(int(counts.sum()) + hist.nonfinite, 32)
    even_batches = (1347 // 43, 1347 // 43 + 1)  # digits' 1,347 training images in 43 batches of 31 and 32
    assert remainder == 0 and rows in even_batches, "every activation of the batch (32 units) is counted once"
    image = window.histograms.heatmap.image
    assert image is not None and image.shape[1] == len(window.session.snapshots)


def test_space_ticks_a_box_reached_with_tab_and_starts_training_otherwise(qtbot, make_window):
    """Start/Pause took Space from every check box and button: a keyboard user could not tick
    dropout on. A box clicked with the mouse keeps focus, but Space there still starts training."""
    window = make_window()
    pressed: list[bool] = []
    window.start_action.triggered.connect(lambda: pressed.append(True))
    box = window.controls.dropout_on
    ticked = box.isChecked()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert (box.isChecked(), box.hasFocus()) == (not ticked, True)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert (box.isChecked(), len(pressed)) == (not ticked, 1), "Space after a click is Start/Pause"
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert box.hasFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert (box.isChecked(), len(pressed)) == (ticked, 1), "Space ticks the box Tab reached"
    wait_for(qtbot, lambda: window.session.mode == "running")


def test_space_before_a_model_is_ready_leaves_the_focused_box_alone(qtbot, settings):
    """While a model is built or a dataset loads Start is off, and Space went on to the focused
    control: the log-scale box, which a new window gives the focus first, ticked itself."""
    make_application()
    session = Session()
    window = MainWindow(session, settings, digits_config())
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    box = window.curves.log_scale
    box.setFocus()
    with qtbot.waitSignal(session.started, timeout=WAIT_MS):
        session.open(digits_config())
        assert not window.start_action.isEnabled(), "the model is still being built"
        qtbot.keyClick(box, Qt.Key.Key_Space)
        assert not box.isChecked()
    wait_for(qtbot, window.start_action.isEnabled)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert not box.isChecked()
    wait_for(qtbot, lambda: session.mode == "running")


def test_space_in_an_open_combo_box_list_leaves_training_alone(qtbot, make_window):
    """A combo box opened with the mouse: Space in its list started training behind it. One
    reached with Tab opens on Space, again and again."""
    window = make_window()
    pressed: list[bool] = []
    window.start_action.triggered.connect(lambda: pressed.append(True))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    combo = window.controls.activation
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(combo.view().isVisible, timeout=WAIT_MS)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Space)
    assert (pressed, combo.view().isVisible()) == ([], True)
    combo.hidePopup()
    qtbot.keyClick(combo, Qt.Key.Key_Space)
    assert pressed == [True], "the popup closed, Space is Start/Pause again"
    window.controls.dropout_on.setFocus(Qt.FocusReason.TabFocusReason)
    combo.setFocus(Qt.FocusReason.BacktabFocusReason)  # reached with the keyboard: Space opens it
    qtbot.keyClick(combo, Qt.Key.Key_Space)
    qtbot.waitUntil(combo.view().isVisible, timeout=WAIT_MS)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Down)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)
    assert not combo.view().isVisible() and combo.hasFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Space)
    assert (pressed, combo.view().isVisible()) == ([True], True), "the list closed, Space opens the box again"


def test_a_tick_refreshes_the_visible_panels_one_pass_of_the_event_loop_each(qtbot, make_window, monkeypatch):
    """Qt paints whatever was made dirty in one pass at once: one panel per pass keeps each
    paint, and so the GUI thread's longest stall, to one panel's worth."""
    window = make_window()
    window.session.tick.disconnect(window._on_tick)  # the ticks below are the test's own
    wait_for(qtbot, lambda: window.refresh_queue.idle)  # the session's last tick is done
    calls: list[str] = []
    for name in ("curves", "histograms", "network", "gradient_flow", "predictions"):
        monkeypatch.setattr(getattr(window, name), "refresh", lambda *a, name=name, **k: calls.append(name))
    window._on_tick()
    assert calls == ["curves"]
    wait_for(qtbot, lambda: len(calls) == 3)
    assert calls == ["curves", "histograms", "network"], "in turn; the tabs behind Histograms are not drawn"
    calls.clear()
    window._on_tick()
    window._on_tick()  # before the others' turn: they keep their place, the curves queue behind them
    wait_for(qtbot, lambda: len(calls) == 4)
    assert calls == ["curves", "histograms", "network", "curves"]
    window.docks["predictions"].raise_()
    wait_for(qtbot, lambda: calls[-1:] == ["predictions"])  # a tab brought forward is drawn at once
    calls.clear()
    window._on_tick()
    wait_for(qtbot, lambda: len(calls) == 3)
    assert calls == ["curves", "network", "predictions"]


def test_a_panel_with_plots_still_behind_waits_for_the_others_turn(qtbot, make_window, monkeypatch):
    window = make_window()
    window.session.tick.disconnect(window._on_tick)
    wait_for(qtbot, lambda: window.refresh_queue.idle)
    calls: list[tuple[str, bool]] = []
    behind = iter([True, True, False])  # the histograms panel has three plots to draw
    monkeypatch.setattr(window.curves, "refresh", lambda *a, one_plot=False, **k: calls.append(("curves", one_plot)))
    monkeypatch.setattr(window.network, "refresh", lambda *a, **k: calls.append(("network", True)))

    def histograms(*args, one_plot=False):
        calls.append(("histograms", one_plot))
        return next(behind)

    monkeypatch.setattr(window.histograms, "refresh", histograms)
    window._on_tick()
    wait_for(qtbot, lambda: len(calls) == 5)
    assert [name for name, _ in calls] == ["curves", "histograms", "network", "histograms", "histograms"]
    assert all(one for _, one in calls), "a tick asks each panel for one plot at a time"
    calls.clear()
    behind = iter([False])
    window.redraw()
    assert ("histograms", False) in calls and ("curves", False) in calls, "a full redraw draws every plot at once"


def test_a_panel_put_behind_a_tab_stops_drawing_its_remaining_plots(qtbot, make_window, monkeypatch):
    window = make_window()
    window.session.tick.disconnect(window._on_tick)
    wait_for(qtbot, lambda: window.refresh_queue.idle)
    calls: list[str] = []
    for name in ("curves", "network"):
        monkeypatch.setattr(getattr(window, name), "refresh", lambda *a, name=name, **k: calls.append(name))

    def histograms(*args, one_plot=False) -> bool:
        calls.append("histograms")
        window.docks["predictions"].raise_()  # the user picks another tab while plots are behind
        return True

    monkeypatch.setattr(window.histograms, "refresh", histograms)
    monkeypatch.setattr(window.predictions, "refresh", lambda *a, **k: calls.append("predictions"))
    window._on_tick()
    wait_for(qtbot, lambda: window.refresh_queue.idle)
    assert calls == ["curves", "histograms", "predictions", "network"], "hidden, it leaves the queue (the tab shown is drawn at once)"


def test_the_pause_between_refreshes_counts_from_the_end_of_the_paint(qtbot, make_window, monkeypatch):
    """A paint longer than the pause must not run straight into the next refresh."""
    window = make_window()
    window.session.tick.disconnect(window._on_tick)
    wait_for(qtbot, lambda: window.refresh_queue.idle)
    order: list[str] = []

    class PaintWatcher(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint:
                order.append("paint")
            return False

    watcher = PaintWatcher()
    window.curves.graphics.viewport().installEventFilter(watcher)
    window.refresh_queue.painted.timeout.connect(lambda: order.append("pause starts"))
    window.refresh_queue.stagger.timeout.connect(lambda: order.append("next refresh"))
    curve = window.curves.items["step_loss"]
    monkeypatch.setattr(window.curves, "refresh", lambda *a, **k: curve.setData([0.0, 1.0], [2.0, 1.0]))
    window._on_tick()
    wait_for(qtbot, lambda: "next refresh" in order)
    assert order.index("paint") < order.index("pause starts") < order.index("next refresh")


def test_live_changes_reach_the_engine_while_training(qtbot, make_window):
    window = make_window(start=True)
    controls = window.controls
    wait_for(qtbot, lambda: window.session.mode == "running")
    controls.dropout_on.setChecked(True)
    controls.dropout.setValue(0.3)
    controls.weight_decay.setValue(0.01)
    controls.weight_decay.valueChanged.emit(0.01)
    controls.activation.setCurrentText("tanh")
    wait_for(qtbot, lambda: window.session.config.model.activation == "tanh")
    wait_for(qtbot, lambda: window.session.config.model.dropout == 0.3 and window.session.config.train.weight_decay == 0.01)
    assert window.session.mode == "running", "live settings must not stop training"
    step_then = window.session.snapshot.step
    wait_for(qtbot, lambda: window.session.snapshot.step > step_then + 10)
    probe = window.session.snapshot.layers[0]
    assert probe.dead_fraction is None and probe.saturated_fraction is not None, "the model now runs tanh"
    assert "Settings in force" in controls.hint.text()


def test_reset_fields_wait_for_reset_and_say_so(qtbot, make_window):
    window = make_window()
    window.controls.hidden.add_button.click()
    window.controls.init.setCurrentText("xavier")
    assert "Reset to apply" in window.controls.hint.text() and "hidden" in window.controls.hint.text()
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.sizes == (64, 32, 32, 10)
    assert window.session.config.model.init == "xavier"
    assert "Settings in force" in window.controls.hint.text()


def test_reset_to_another_dataset_brings_its_training_and_says_so(qtbot, make_window):
    """Circle chosen in the controls trained at digits' batch of 32 for 20 epochs (or d2l's 256:
    one step an epoch): its own suited training now comes with it, bar what the user set."""
    window = make_window()
    window.resize(1366, 740)
    controls = window.controls
    controls.dataset.setCurrentIndex(controls.dataset.findData("circle"))
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    train = window.session.config.train
    assert (window.session.config.data.name, train.batch_size, train.epochs) == ("circle", 10, 100)
    assert (controls.batch_size.value(), controls.epochs.value()) == (10, 100), "the controls show it"
    assert window.statusBar().currentMessage() == "Batch size 10, epochs 100: the training that suits circle (set yours and Reset again)"
    controls.dataset.setCurrentIndex(controls.dataset.findData("digits"))
    controls.batch_size.setValue(64)  # by hand: it stays
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    train = window.session.config.train
    assert (window.session.config.data.name, train.batch_size, train.epochs) == ("digits", 64, 20)


def endless_download(name, folder, progress):
    """A download that goes on until it is cancelled, reporting its progress as it goes."""
    for done in range(1000, 10**9, 1000):
        progress("train-images-idx3-ubyte.gz", done, 10**9)
        time.sleep(0.002)


def window_opening(qtbot, settings, config: Config) -> MainWindow:
    """A window whose session is opening `config`, not waited for (its data may never come)."""
    make_application()
    session = Session()
    window = MainWindow(session, settings, config)
    qtbot.addWidget(window)
    window.show()
    session.open(config)
    return window


def test_a_network_too_large_for_the_machine_is_refused_in_a_message(qtbot, settings, monkeypatch):
    """--hidden 1000000000 at launch: the training thread ended with an internal error's repr."""
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text)))
    window = window_opening(qtbot, settings, digits_config().with_changes(model={"hidden": (10**9,)}))
    wait_for(qtbot, lambda: len(warnings) == 1)
    title, text = warnings[0]
    assert title == "Could not start" and text.startswith("64-1000000000-10 has 75,000,000,010 parameters")
    assert window.state_label.text() == "no model" and window.reset_action.isEnabled()


def failing_download(name, folder, progress):
    """A download that gets 40 % of the way, then finds the network gone."""
    progress("train-images-idx3-ubyte.gz", 4_000_000, 10_000_000)
    time.sleep(0.5)
    raise DataError("could not reach the mirror: no network")


def test_another_dataset_during_a_download_cancels_it_quietly(qtbot, monkeypatch):
    """Fashion-MNIST downloading, the user picks digits and presses Reset: the cancelled worker's
    "download was cancelled", queued before it stopped, arrived after and shut the new worker
    down: no model, and an error box."""
    import engine.data
    from gui.app import make_application

    monkeypatch.setattr(engine.data, "download_idx_set", endless_download)
    make_application()
    session = Session()
    failures, downloads = [], []
    session.failed.connect(failures.append)
    session.download.connect(lambda *progress: downloads.append(progress))
    session.open(Config())  # Fashion-MNIST, not in the test's cache
    wait_for(qtbot, lambda: len(downloads) > 3)
    session.reset(digits_config())
    wait_for(qtbot, lambda: session.mode == "paused")
    qtbot.wait(100)
    assert failures == [] and session.alive and session.config.data.name == "digits"
    session.shutdown()


def test_a_dataset_that_cannot_download_is_refused_and_the_session_stays(qtbot, make_window, monkeypatch):
    """Fashion-MNIST chosen with no network, and Reset: the status bar shows the download's
    progress, then a message says why; the model trained so far stays, and trains on."""
    import engine.data

    monkeypatch.setattr(engine.data, "download_idx_set", failing_download)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text)))
    window = make_window()
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    controls = window.controls
    controls.dataset.setCurrentIndex(controls.dataset.findData("fashion-mnist"))
    window.reset_action.trigger()
    wait_for(qtbot, lambda: window.download_bar.isVisible())
    bar = window.download_bar
    assert (bar.format(), bar.maximum(), bar.value(), bar.text()) == ("downloading train-images-idx3-ubyte.gz %p%", 10_000_000, 4_000_000, "downloading train-images-idx3-ubyte.gz 40%")
    wait_for(qtbot, lambda: len(warnings) == 1)
    title, text = warnings[0]
    assert title == "Could not reset" and "no network" in text
    assert not bar.isVisible(), "the bar goes with the download"
    assert window.session.config.data.name == "digits" and window.session.step == 1, "the session stays as it was"
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 2)


def test_a_first_dataset_that_cannot_download_says_what_to_do_and_another_can_follow(qtbot, settings, monkeypatch):
    """Launched on Fashion-MNIST with no network (asked for by name): no model to keep, so the
    window says why and what to do, offers Reset only, and digits chosen after it train."""
    import engine.data

    monkeypatch.setattr(engine.data, "download_idx_set", failing_download)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text)))
    window = window_opening(qtbot, settings, Config())
    session = window.session
    wait_for(qtbot, lambda: len(warnings) == 1)
    title, text = warnings[0]
    assert title == "Could not start" and "no network" in text and text.endswith("Choose another dataset or other settings, and press Reset.")
    assert not window.download_bar.isVisible() and window.state_label.text() == "no model"
    assert window.reset_action.isEnabled() and not window.start_action.isEnabled() and not window.save_action.isEnabled()
    controls = window.controls
    controls.dataset.setCurrentIndex(controls.dataset.findData("digits"))
    with qtbot.waitSignal(session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    window.step_action.trigger()
    wait_for(qtbot, lambda: session.step == 1)
    assert session.config.data.name == "digits" and len(warnings) == 1
    window.close()


def test_a_download_cancelled_by_another_datasets_reset_takes_its_bar_along(qtbot, settings, monkeypatch):
    """The bar stayed in the status bar, at its last share, under the new dataset's run."""
    import engine.data

    monkeypatch.setattr(engine.data, "download_idx_set", endless_download)
    window = window_opening(qtbot, settings, Config())
    session = window.session
    wait_for(qtbot, lambda: window.download_bar.isVisible())
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("digits"))
    with qtbot.waitSignal(session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    qtbot.wait(100)  # the cancelled download's last reports, queued before it stopped, are heard no more
    assert not window.download_bar.isVisible() and session.config.data.name == "digits"
    window.close()


def test_the_status_bar_reads_the_samples_per_second_of_the_last_half_second_while_running(qtbot, make_window):
    window = make_window(digits_config(epochs=1000), start=True)
    session = window.session
    wait_for(qtbot, lambda: session.samples_per_s > 0)
    began, first = time.perf_counter(), session.step
    qtbot.wait(1500)
    measured = (session.step - first) * session.config.train.batch_size / (time.perf_counter() - began)
    assert measured / 3 < session.samples_per_s < measured * 3, "the session's rate is the run's, give or take the load"
    window.redraw()
    assert window.speed_label.text() == f"{session.samples_per_s:,.0f} samples/s"
    window.start_action.trigger()
    wait_for(qtbot, lambda: session.mode == "paused")
    window.redraw()
    assert session.samples_per_s == 0 and window.speed_label.text() == "", "paused: no rate to read"


def test_batch_norm_on_batches_of_one_is_refused_on_reset_and_the_model_stays(qtbot, make_window, warnings):
    window = make_window()
    controls = window.controls
    controls.batch_norm.setChecked(True)
    controls.batch_size.setValue(1)
    window.reset_action.trigger()
    wait_for(qtbot, lambda: len(warnings) == 1)
    assert warnings[0] == ("Could not reset", "Batch norm needs batches of at least 2 samples: it normalises each unit over the batch")
    assert not window.session.config.model.batch_norm and window.session.config.train.batch_size == 32
    controls.batch_size.setValue(2)
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.config.model.batch_norm and window.session.config.train.batch_size == 2


def test_a_device_this_machine_lacks_is_greyed_out_and_a_file_that_asks_for_it_is_refused_on_reset(qtbot, make_window, warnings):
    """cuda on a machine without it was offered, then refused after Reset: greyed out now, with why."""
    window = make_window()
    combo = window.controls.device
    index = combo.findText("cuda")
    assert combo.model().item(index).isEnabled() == torch.cuda.is_available()
    if torch.cuda.is_available():
        return
    assert combo.itemData(index, Qt.ItemDataRole.ToolTipRole) == "CUDA is not available on this machine"
    combo.setCurrentText("cuda")  # as a remembered setting or a command line would
    window.reset_action.trigger()
    wait_for(qtbot, lambda: len(warnings) == 1)
    assert warnings[0] == ("Could not reset", "Device cuda was asked for, but CUDA is not available on this machine")
    assert window.session.config.train.device != "cuda" and window.session.mode == "paused"


@pytest.mark.parametrize(
    "sections",
    [
        {"model": {"dropout": 0.333}},  # the box shows two decimals
        {"model": {"dropout": 0.995}},  # and stops at 0.99
        {"train": {"epochs": 200_000}},  # the box's largest is 100,000
        {"train": {"momentum": 0.999, "batch_size": 100_000}},
        {"model": {"hidden": (5000,)}},
    ],
)
def test_settings_past_what_a_control_shows_stay_exact_through_other_edits(qtbot, make_window, sections):
    """Given on the command line or by a file: an unrelated edit (the learning rate) sent the
    control's rounded or clamped reading on, and changed the run (dropout 0.333 became 0.33);
    those needing Reset showed as pending."""
    config = digits_config().with_changes(**sections)
    window = make_window(config)
    controls = window.controls
    assert controls.pending_reset() == [] and controls.config() == window.session.config
    controls.lr.slider.setValue(controls.lr.slider.value() + 1)
    controls.flush()
    wait_for(qtbot, lambda: window.session.config.train.lr != config.train.lr)
    assert window.session.config == config.with_changes(train={"lr": controls.lr.value()})
    assert controls.pending_reset() == []


def test_pause_step_and_reset(qtbot, make_window):
    window = make_window(start=True)
    wait_for(qtbot, lambda: window.session.step > 20)
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "paused")
    qtbot.wait(100)
    paused_at = window.session.step
    qtbot.wait(200)
    assert window.session.step == paused_at, "paused means no step"
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == paused_at + 1)
    assert window.session.snapshot.step == paused_at + 1, "a single step is always probed"
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.step == 0 and len(window.session.history.epochs) == 1
    assert window.session.mode == "paused"


def test_the_plots_of_a_finished_run_fit_their_data(qtbot, make_window):
    """While training, growing plots keep room to grow; a stopped run fills them."""
    window = make_window(digits_config(epochs=3), start=True)
    wait_for(qtbot, lambda: window.session.mode == "finished")
    wait_for(qtbot, lambda: window.refresh_queue.idle and window.histograms.heatmap.image is not None)
    session = window.session
    assert (window.epoch_progress.text(), window.epoch_progress.value()) == ("all 3 epochs done", 1000)
    for plot, last in ((window.curves.loss_plot, session.step), (window.histograms.heatmap_plot, session.snapshots[-1].step)):
        x0, x1 = plot.vb.viewRange()[0]
        assert -0.05 * last <= x0 < 0.1 * last and last <= x1 < 1.1 * last, f"{plot.titleLabel.text}: steps {x0:.0f} to {x1:.0f}, last {last}"


def test_a_setting_changed_after_the_run_says_what_changed(qtbot, make_window):
    """A finished run's status bar says the news of each change: "Applied SetActivation", the
    engine's command name, was shown to the user."""
    window = make_window(digits_config(epochs=1), start=True)
    wait_for(qtbot, lambda: window.session.mode == "finished")
    window.step_action.trigger()  # it did nothing, silently
    wait_for(qtbot, lambda: window.statusBar().currentMessage() == "The 1 epoch is done: raise the epoch count to go on")
    window.controls.activation.setCurrentText("tanh")
    wait_for(qtbot, lambda: window.session.config.model.activation == "tanh")
    assert window.statusBar().currentMessage() == "Activation relu → tanh"


def test_opening_a_finished_run_says_what_was_opened(qtbot, make_window, tmp_path):
    """The run's end said "Opened PATH" over the message that had just named the file's kind, as
    "mlp-lab", the engine's name for it."""
    window = make_window(digits_config(epochs=1), start=True)
    wait_for(qtbot, lambda: window.session.mode == "finished")
    path = tmp_path / "done.pt"
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.session.send(cmd.Save(str(path)))
    with qtbot.waitSignal(window.session.loaded, timeout=WAIT_MS) as opened:
        window.open_path(str(path))
    wait_for(qtbot, lambda: window.session.mode == "finished")
    qtbot.wait(200)  # the run's end, in the worker's next batch
    assert opened.args[1] == "mlp-lab" and window.status_message._message == f"Opened {path} (an MLP Lab checkpoint)"


def test_a_name_typed_without_its_suffix_does_not_replace_a_file_unasked(make_window, monkeypatch, tmp_path):
    """"run" became "run.pt" after the dialog's overwrite question, which was about "run"."""
    window = make_window()
    kept = tmp_path / "run.pt"
    kept.touch()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "run"), ""))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text) or QMessageBox.StandardButton.No)
    assert window._ask_save_path("Save checkpoint", "mlp-lab.pt", "") is None, "nothing to save to"
    assert asked == ["run.pt already exists. Replace it?"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    assert window._ask_save_path("Save checkpoint", "mlp-lab.pt", "") == str(kept), "replaced when the user says so"


def test_the_save_dialogs_offer_names_that_say_what_was_trained(qtbot, make_window, monkeypatch):
    """Every checkpoint was offered as "mlp-lab.pt", the first save's name again at the second."""
    window = make_window(digits_config(epochs=2))
    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, default, *a: offered.append(Path(default).name) or ("", ""))
    wait_for(qtbot, lambda: window.session.mode == "paused")
    window.save_action.trigger()
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    window.save_action.trigger()
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "finished")
    window.save_action.trigger()
    window.export_csv_action.trigger()
    assert offered == ["digits-64-32-10-epoch0.pt", "digits-64-32-10-step1.pt", "digits-64-32-10-epoch2.pt", "digits-64-32-10-curves.csv"]


def test_save_and_reopen_restores_the_session(qtbot, make_window, monkeypatch, tmp_path):
    config = digits_config().with_changes(model={"hidden": (24, 12), "activation": "tanh"}, train={"lr": 0.05})
    window = make_window(config, start=True)
    wait_for(qtbot, lambda: len(window.session.history.epochs) >= 3)
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "paused")
    path = tmp_path / "run.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.save_action.trigger()
    saved_epochs = [e.test_loss for e in window.session.history.epochs]
    saved_step = window.session.step
    probed_steps = [s.step for s in window.session.snapshots][1:]  # after the new model's own look at itself
    assert len(probed_steps) > 2 and window.session.snapshot.weights, "the network graph's snapshot is whole"
    assert not any(s.weights for s in window.session.snapshots), "the views over time keep no weights"
    saved = torch.load(path, weights_only=True)
    assert saved["config"]["model"]["hidden"] == [24, 12]

    # Change everything, then open the file: the architecture, settings and curves come back.
    window.controls.set_config(digits_config())
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.sizes == (64, 32, 10)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.open_action.trigger()
    assert window.session.sizes == (64, 24, 12, 10)
    assert [e.test_loss for e in window.session.history.epochs] == saved_epochs
    assert window.session.step == saved_step and window.session.history.epochs[-1].step <= saved_step
    assert window.controls.hidden.layers() == (24, 12)
    assert window.controls.activation.currentText() == "tanh"
    assert window.controls.lr.value() == 0.05
    assert window.settings.value("files/last_dir") == str(tmp_path)
    steps = [s.step for s in window.session.snapshots]
    where_it_stands = [saved_step] if probed_steps[-1] != saved_step else []  # paused right after a probe: that step once
    assert steps == [*probed_steps, *where_it_stands], "the views over time show the run's past, then where it stands"
    window.bring_forward("histograms")
    wait_for(qtbot, lambda: window.histograms.heatmap.image is not None and window.histograms.heatmap.image.shape[1] == len(steps))


def fill_the_disk(monkeypatch) -> None:
    """From now on every save fails as on a full disk, when it flushes its file (engine.files)."""

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("engine.files.os.fsync", full)


def test_a_save_on_a_full_disk_keeps_the_last_checkpoint_and_the_session(qtbot, make_window, monkeypatch, tmp_path, warnings):
    window = make_window()
    path = tmp_path / "run.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
        window.save_action.trigger()
    last_good = path.read_bytes()
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)

    fill_the_disk(monkeypatch)
    with qtbot.waitSignal(window.session.command_failed, timeout=WAIT_MS):
        window.save_action.trigger()
    assert warnings == [("Could not save the checkpoint", f"Cannot save to {path}: No space left on device")]
    assert path.read_bytes() == last_good and torch.load(path, weights_only=True)["step"] == 0
    assert window.session.step == 1 and window.recent.paths() == [str(path)]
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 2)


def test_a_checkpoint_to_a_folder_gone_since_the_dialog_is_refused_not_made_again(qtbot, make_window, monkeypatch, tmp_path, warnings):
    """The drive chosen in the dialog was pulled out: made again, the folder would take the
    checkpoint to the disk under the drive's mount point, where the user never looks."""
    window = make_window()
    gone = tmp_path / "usb-drive" / "run.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(gone), ""))
    with qtbot.waitSignal(window.session.command_failed, timeout=WAIT_MS):
        window.save_action.trigger()
    assert warnings == [("Could not save the checkpoint", f"Cannot save to {gone}: No such file or directory")]
    assert not gone.parent.exists() and window.recent.paths() == []


def test_a_file_saved_right_after_a_probe_shows_that_step_once_over_time(qtbot):
    """Saved after a single step (always probed), it reopened with that step twice in the views
    over time: the file's probe, and the opened model's own look at itself."""
    trainer = Trainer(digits_config().with_changes(probes={"every": 1}))
    for _ in range(3):
        trainer.train_step(probe=True)
    session = Session()
    session._apply(trainer._started())
    assert [s.step for s in session.snapshots] == [1, 2, 3] and session.snapshot.step == 3
    fresh = Trainer(digits_config())
    session._apply(fresh._started())
    assert [s.step for s in session.snapshots] == [0], "a new model: its own look only"
    session.shutdown()


def test_open_recent_lists_the_checkpoints_saved_and_opened_newest_first(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window()
    first, second = tmp_path / "first.pt", tmp_path / "second.pt"
    for path in (first, second, first):  # saved twice: listed once, at the top
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, p=path, **k: (str(p), ""))
        with qtbot.waitSignal(window.session.saved, timeout=WAIT_MS):
            window.save_action.trigger()

    def listed(window) -> list[tuple[str, str, bool]]:
        """Each entry's number and name (its folder may be cut short), full path, and whether it
        opens, as the File menu shows it once its look at which files exist has come back."""
        file_menu = window.menuBar().actions()[0].menu()
        checked_on = []
        window.recent.checked.connect(lambda _: checked_on.append(threading.get_ident()), Qt.ConnectionType.DirectConnection)
        with qtbot.waitSignal(window.recent.checked, timeout=WAIT_MS):
            file_menu.aboutToShow.emit()
        assert checked_on and checked_on[-1] != threading.get_ident(), "the files are looked at off the GUI thread"
        menu = window.recent_menu
        menu.aboutToShow.emit()
        return [(a.text().split("  (")[0], a.toolTip(), a.isEnabled()) for a in menu.actions() if not a.isSeparator()]

    assert listed(window) == [
        ("&1 first.pt", str(first), True), ("&2 second.pt", str(second), True), ("Clear the list", "Clear the list", True)]  # fmt: skip

    window.controls.hidden.add_button.click()
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.reset_action.trigger()
    assert window.session.sizes == (64, 32, 32, 10)
    with qtbot.waitSignal(window.session.loaded, timeout=WAIT_MS) as opened:
        next(a for a in window.recent_menu.actions() if "second.pt" in a.text()).trigger()
    assert opened.args[0] == str(second)
    wait_for(qtbot, lambda: window.session.sizes == (64, 32, 10))  # the opened model's news can come in the worker's next batch
    assert [text for text, _, _ in listed(window)][:2] == ["&1 second.pt", "&2 first.pt"]

    first.unlink()
    window.close()
    again = make_window()  # the list outlives the window, and a file gone since is greyed out
    assert listed(again)[1] == ("&2 first.pt", str(first), False)
    next(a for a in again.recent_menu.actions() if a.text() == "Clear the list").trigger()
    assert listed(again) == [("No checkpoints yet", "No checkpoints yet", False)]


def test_a_checkpoint_dropped_on_the_window_opens(qtbot, make_window, tmp_path):
    path = tmp_path / "dropped.pt"
    Trainer(digits_config().with_changes(model={"hidden": (16,)})).save(str(path))
    window = make_window()

    def drop(*files: Path) -> bool:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
        where = QPointF(window.rect().center())
        enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        if enter.isAccepted():
            drop_event = QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(window, drop_event)
        return enter.isAccepted()

    assert not drop(path, path), "two files: which one?"
    assert window.session.sizes == (64, 32, 10)
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        assert drop(path)
    assert window.session.sizes == (64, 16, 10)


def test_a_bad_file_is_refused_with_a_message_and_changes_nothing(qtbot, make_window, monkeypatch, tmp_path, warnings):
    window = make_window()
    before = (window.session.config, window.session.sizes, len(window.session.history.epochs))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x04 this is not a checkpoint")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    with qtbot.waitSignal(window.session.command_failed, timeout=WAIT_MS):
        window.open_action.trigger()
    assert len(warnings) == 1
    title, text = warnings[0]
    assert title == "Could not open the checkpoint" and "not a readable checkpoint" in text
    assert (window.session.config, window.session.sizes, len(window.session.history.epochs)) == before
    # still usable: one step trains
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)


def test_divergence_pauses_with_a_banner_and_the_app_stays_usable(qtbot, make_window, warnings):
    config = digits_config().with_changes(
        model={"hidden": (64, 64, 64, 64), "activation": "identity", "init": "normal", "init_scale": 1.0},
        train={"lr": 10.0},
    )
    window = make_window(config)
    with qtbot.waitSignal(window.session.diverged, timeout=WAIT_MS):
        window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "diverged")
    assert window.banner.isVisible() and "Diverged at step" in window.banner.message.text()
    assert "learning rate" in window.banner.lower_lr_button.text()
    assert window.start_action.text() == "Start" and window.start_action.isEnabled()
    window.banner.lower_lr_button.click()
    wait_for(qtbot, lambda: window.session.config.train.lr == pytest.approx(1.0))
    assert window.controls.lr.value() == pytest.approx(1.0), "the control shows the lowered rate"
    assert warnings == [], "divergence is a banner, not an error box"


def test_on_a_small_screen_the_divergence_banner_leaves_the_plots_room(qtbot, make_window):
    """At 1024 x 700 the banner (five lines then) left the loss plot 1 pixel high: it says what
    happened in two lines now, and the curves keep room, taken from the docks under them."""
    config = digits_config().with_changes(model={"hidden": (128,) * 8, "init": "normal", "init_scale": 1.0})
    window = make_window(config)
    window.resize(1024, 700)
    window.restore_default_layout()
    qtbot.wait(300)
    with qtbot.waitSignal(window.session.diverged, timeout=WAIT_MS):
        window.start_action.trigger()
    window.redraw()
    qtbot.wait(200)
    text = window.banner.message.text()
    assert window.banner.isVisible() and "Diverged at step" in text and "blew up first" in text
    lines = window.banner.message.height() / window.banner.message.fontMetrics().lineSpacing()
    assert lines < 4, f"{lines:.1f} lines (two here; five before, a font wider elsewhere may make three)"
    assert window.height() <= 700
    assert window.curves.loss_plot.vb.height() > 50
    assert min(plot.vb.height() for plot in window.histograms.plots.values()) > 20


def test_closing_mid_training_stops_the_worker_quickly(qtbot, make_window):
    window = make_window(start=True)
    wait_for(qtbot, lambda: window.session.step > 5)
    thread = window.session._thread
    began = time.perf_counter()
    window.close()
    assert time.perf_counter() - began < 2.0
    assert thread.isFinished() and not window.session.alive


def ink_height(image: QtGui.QImage, area: QRectF, scale: int) -> int:
    """How many pixel rows of `area` (in screen pixels) hold dark ink in `image`, drawn at `scale`."""
    grey = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(grey.constBits(), np.uint8).reshape(grey.height(), grey.bytesPerLine())
    top, bottom, left, right = (round(v * scale) for v in (area.top(), area.bottom(), area.left(), area.right()))
    return int((pixels[top:bottom, left:right] < 128).any(axis=1).sum())


def test_exports_write_png_and_csv(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window(start=True)
    wait_for(qtbot, lambda: len(window.session.history.epochs) >= 2)
    window.toggle_training()
    wait_for(qtbot, lambda: window.session.mode == "paused")
    qtbot.wait(100)  # laid out for the pause: the panels keep their sizes from here on
    png, csv_path = tmp_path / "curves.png", tmp_path / "curves.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(png), ""))
    screen = window.curves.graphics.viewport().size()
    with qtbot.waitSignal(window.jobs.finished, timeout=WAIT_MS) as png_done:
        window.export_png_action.trigger()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(csv_path), ""))
    with qtbot.waitSignal(window.jobs.finished, timeout=WAIT_MS) as csv_done:
        window.export_csv_action.trigger()
    assert png_done.args[1] == "" and csv_done.args[1] == ""
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = QtGui.QImage(str(png))
    assert (picture.width(), picture.height()) == (2 * screen.width(), 2 * screen.height()), "twice the screen's pixels: sharp"
    legend = window.curves.legend.sceneBoundingRect()
    on_screen = window.curves.graphics.grab().toImage()
    assert ink_height(picture, legend, 2) >= 1.6 * ink_height(on_screen, legend, 1) > 0, "the legend's text is twice as large too"
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("epoch,step,train_loss") and len(rows) > 3


def test_an_export_that_cannot_be_written_says_why(qtbot, make_window, monkeypatch, tmp_path, warnings):
    """The folder went away between the dialog and the write (a drive unplugged): a message
    with the system's reason, and the window goes on."""
    window = make_window()
    gone = tmp_path / "unplugged" / "curves.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(gone), ""))
    with qtbot.waitSignal(window.jobs.finished, timeout=WAIT_MS) as done:
        window.export_csv_action.trigger()
    assert done.args[1] == f"cannot save to {gone}: No such file or directory"
    assert warnings == [("Export failed", f"Cannot save to {gone}: No such file or directory")] and not gone.exists()
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)


@pytest.mark.parametrize("export", ["png", "csv", "code"])
def test_an_export_on_a_full_disk_leaves_the_file_that_was_there(qtbot, make_window, monkeypatch, tmp_path, warnings, export):
    """The disk fills up mid-write: the file chosen in the dialog keeps its old contents (a
    plain write had already emptied it), and a message says why."""
    window = make_window()
    target = tmp_path / "exports" / f"kept.{'py' if export == 'code' else export}"
    target.parent.mkdir()
    target.write_bytes(b"yesterday's export")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))

    fill_the_disk(monkeypatch)
    with qtbot.waitSignal(window.jobs.finished, timeout=WAIT_MS):
        getattr(window, f"export_{export}_action").trigger()
    assert target.read_bytes() == b"yesterday's export"
    assert warnings == [("Export failed", f"Cannot save to {target}: No space left on device")]
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind


def test_settings_and_layout_are_remembered(qtbot, make_window, settings):
    window = make_window()
    window.controls.lr.setValue(0.3)
    window.docks["histograms"].hide()
    window.close()
    remembered = remembered_config(settings)
    assert remembered is not None and remembered.train.lr == 0.3
    again = make_window(remembered)
    assert again.controls.lr.value() == 0.3
    assert not again.docks["histograms"].isVisible()


@pytest.mark.parametrize("stored", ['[1, 2]', '{"model": 5}', '{"model": {"hidden": ["wide"]}}', '{"train": {"lr": "fast"}}', "{not json", '"text"'])
def test_remembered_settings_that_no_longer_make_a_config_are_forgotten_not_fatal(settings, stored):
    """A damaged settings store (edited by hand, or from another version) opened the window on a
    crash for some of these: the launch goes on with the defaults instead."""
    settings.setValue("config", stored)
    assert remembered_config(settings) is None


def test_first_launch_falls_back_to_digits_when_fashion_mnist_is_missing():
    from engine.cli import build_parser
    from gui.app import initial_config

    config, note = initial_config(build_parser().parse_args([]), None)
    assert config.data.name == "digits" and "not downloaded" in note
    assert config.model.hidden == (256,) and config.train.lr == 0.1, "otherwise d2l's settings"
    asked, note = initial_config(build_parser().parse_args(["--dataset", "fashion-mnist"]), None)
    assert asked.data.name == "fashion-mnist" and note == "", "asked by name: it downloads"
    digits, _ = initial_config(build_parser().parse_args(["--dataset", "digits"]), None)
    assert (digits.train.batch_size, digits.train.epochs) == (32, 20), "enough steps per epoch to watch"
    given, _ = initial_config(build_parser().parse_args(["--lr", "0.5"]), Config().with_changes(data={"name": "xor"}))
    assert given.data.name == "xor" and given.train.lr == 0.5, "options apply over the remembered settings"


def open_from_the_command_line(qtbot, settings, argv: list[str]) -> MainWindow:
    """The window as `main.py ARGV` opens it."""
    from engine.cli import build_parser
    from gui.app import initial_config, make_application, start_session

    args = build_parser().parse_args(argv)
    config, _ = initial_config(args, digits_config())
    make_application()
    session = Session()
    window = MainWindow(session, settings, config)
    qtbot.addWidget(window)
    start_session(session, config, args)
    return window


def test_load_on_the_command_line_opens_the_file_with_the_live_settings_given(qtbot, settings, tmp_path):
    """`main.py --load run.pt --lr 0.25`: the file's rate replaced the one given, as the headless
    run did; the live settings named now apply over the file's, as they do there, and `--epochs`
    counts on from the file's epochs."""
    path = tmp_path / "run.pt"
    trained = Trainer(digits_config().with_changes(model={"hidden": (16,)}, train={"lr": 0.05, "epochs": 1}))
    list(trained.run(start=True, stop_when_finished=True))
    trained.save(str(path))
    window = open_from_the_command_line(qtbot, settings, ["--load", str(path), "--lr", "0.25", "--dropout", "0.2", "--epochs", "2"])
    session = window.session
    wait_for(qtbot, lambda: session.config is not None and session.config.train.lr == 0.25 and session.config.model.dropout == 0.2)
    assert session.config.model.hidden == (16,), "the file's model"
    assert session.config.train.epochs == 3 and session.mode == "paused", "two more than the file's one, to train"
    assert window.controls.lr.value() == 0.25
    window.close()


def test_load_on_the_command_line_refuses_a_setting_that_needs_another_model(qtbot, settings, tmp_path, warnings):
    """`main.py --load run.pt --hidden 64` showed the file's 16 units and left --hidden out without
    a word; the headless run refuses it. The window now says so, and stays on a model of its own."""
    path = tmp_path / "run.pt"
    Trainer(digits_config().with_changes(model={"hidden": (16,)})).save(str(path))
    window = open_from_the_command_line(qtbot, settings, ["--load", str(path), "--hidden", "64"])
    wait_for(qtbot, lambda: bool(warnings))
    [(title, text)] = warnings
    assert title == "Could not open the checkpoint" and "--hidden cannot apply" in text and "--lr" in text
    assert window.session.config.model.hidden == (64,), "the command line's model, not the file's"
    window.close()


def test_the_first_launchs_note_reads_whole_on_a_small_screen(qtbot, make_window):
    """At 1024 pixels the status bar's labels cut the note at "...press Rese": the way to
    download Fashion-MNIST was lost."""
    from engine.cli import build_parser
    from gui.app import initial_config

    _, note = initial_config(build_parser().parse_args([]), None)
    window = make_window()
    window.resize(1024, 700)
    qtbot.wait(100)
    window.say(note, 1000)
    assert note and window.statusBar().currentMessage() == note


def test_the_note_is_cut_again_when_training_widens_the_status_labels(qtbot, make_window):
    """The note fitted beside the labels of a paused window; training then showed its
    samples/s, and the note ran under the labels: "...choose it and press Rrunning"."""
    from engine.cli import build_parser
    from gui.app import initial_config

    _, note = initial_config(build_parser().parse_args([]), None)
    window = make_window(digits_config().with_changes(train={"epochs": 1000}))
    window.resize(1024, 700)
    qtbot.wait(100)
    window.say(note, 0)
    bar = window.statusBar()

    def labels_left() -> int:
        return min(label.x() for label in bar.findChildren(QLabel) if label.isVisible() and label.text())

    assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < labels_left()
    window.start_action.trigger()
    wait_for(qtbot, lambda: "samples/s" in window.speed_label.text())
    qtbot.wait(100)  # the labels are laid out anew
    shown = bar.currentMessage()
    assert shown.startswith("Fashion-MNIST") and "…" in shown and shown.endswith(note[-10:]), "cut in the middle"
    assert bar.fontMetrics().horizontalAdvance(shown) < labels_left()
    window.start_action.trigger()


def test_a_long_path_in_the_status_bar_keeps_its_file_name_on_a_small_screen(qtbot, make_window):
    """Cut at the end by the bar's labels, "Saved /home/.../runs/2026-11-2" lost the file's name."""
    window = make_window()
    window.resize(1024, 700)
    qtbot.wait(100)
    path = "/home/someone/experiments/mlp-lab/runs/2026-11-23/a-rather-long-folder-name/fashion-relu-dropout.pt"
    window.say(f"Saved {path}", 1000)
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown.startswith("Saved /home/") and shown.endswith("/fashion-relu-dropout.pt") and "…" in shown
    labels = [label for label in bar.findChildren(QLabel) if label.isVisible() and label.text()]
    assert bar.fontMetrics().horizontalAdvance(shown) < min(label.x() for label in labels)


def test_on_a_small_screen_no_panel_cuts_its_content(qtbot, make_window):
    """1024 x 700: the docks share the width, and none clips what it holds."""
    window = make_window(digits_config().with_changes(model={"hidden": (256,)}))
    window.resize(1024, 700)
    window.restore_default_layout()  # a first launch's widths
    qtbot.wait(300)
    window.redraw()
    qtbot.wait(100)
    assert window.width() <= 1024
    scroll = window.controls.findChild(QScrollArea)
    viewport = scroll.viewport()
    fields = [w for w in scroll.widget().findChildren(QWidget) if w.isVisible() and isinstance(w, (QLineEdit, QComboBox, QAbstractSpinBox))]
    assert fields and all(w.mapTo(viewport, w.rect().topRight()).x() < viewport.width() for w in fields), "every field whole"
    graphics = window.network.graphics
    assert graphics.ci.geometry().width() <= graphics.viewport().width(), "the network graph within its view"
    combos = [combo for combo in window.findChildren(QComboBox) if combo.isVisible()]
    assert window.histograms.layer in combos
    assert [combo.currentText() for combo in combos if not shows_its_whole_text(combo)] == [], "the Histograms' layer read 'L1 64→2'"
    assert cut_tab_names(window) == [], "the network's column read 'N...', 'Ac...': its tabs scroll instead"


def shows_its_whole_text(combo: QComboBox) -> bool:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width() >= combo.fontMetrics().horizontalAdvance(combo.currentText())


def test_the_default_layout_on_a_laptop_screen_has_a_first_launchs_widths_and_whole_tab_names(qtbot, make_window):
    """Restore default layout once squeezed the network to 123 pixels: it put the docks back
    without a first launch's sizes."""
    window = make_window()
    window.resize(1366, 740)
    window.restore_default_layout()
    qtbot.wait(50)  # the layout settles
    assert [window.docks[key].width() for key in ("controls", "network")] == [360, 430], "a first launch's widths"
    assert cut_tab_names(window) == []


@pytest.mark.parametrize(("height", "histograms"), [(740, 320), (1050, 420)])
def test_the_default_layout_shares_a_tall_windows_height_between_curves_and_histograms(qtbot, make_window, height, histograms):
    """At 1050 pixels a fixed 320 for the bottom tabs left the six histograms 100 pixels each
    under curves 600 pixels tall; a laptop's 740 keeps its 320."""
    window = make_window()
    window.resize(1366, height)
    window.restore_default_layout()
    qtbot.wait(50)  # the layout settles
    [tabs] = [bar for bar in window.findChildren(QTabBar) if bar.isVisible() and bar.tabText(0) == "Histograms"]
    assert abs(window.docks["histograms"].height() + tabs.height() - histograms) <= 2, window.docks["histograms"].height()


def cut_tab_names(window) -> list[str]:
    """The names of the docks' tabs that are not shown whole."""
    bars = [bar for bar in window.findChildren(QTabBar) if bar.isVisible()]
    assert bars, "some docks share a place as tabs"
    return [bar.tabText(i) for bar in bars for i in range(bar.count()) if bar.tabRect(i).width() < bar.tabSizeHint(i).width()]


def test_a_layout_saved_under_an_older_arrangement_gives_way_to_the_default(qtbot, settings, make_window):
    """Layouts saved before the d2l demonstrations moved beside the network kept them under the
    curves until View > Restore default layout; a layout of the current arrangement stays."""
    from PySide6.QtCore import Qt

    window = make_window()
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.docks["activation"])
    window.close()  # saves the layout: the user's own, of this arrangement
    again = make_window()
    assert again.dockWidgetArea(again.docks["activation"]) == Qt.DockWidgetArea.BottomDockWidgetArea, "the user's layout"
    settings.setValue("window/state", again.saveState())  # as a version without LAYOUT_VERSION saved it
    older = make_window()
    assert older.dockWidgetArea(older.docks["activation"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_a_first_launch_is_no_wider_than_the_screen_or_the_docks_need(make_window):
    window = make_window()  # private settings: a first launch, sized to the screen
    screen = window.screen().availableGeometry().width()
    assert window.width() <= max(screen, window.minimumSizeHint().width())


def test_a_run_of_zero_epochs_says_there_is_nothing_to_train(qtbot, make_window):
    window = make_window()
    window.controls.epochs.setValue(0)  # a live setting
    wait_for(qtbot, lambda: window.session.config.train.epochs == 0)
    window.start_action.trigger()
    wait_for(qtbot, lambda: window.session.mode == "finished")
    window.redraw()
    assert window.epoch_progress.text() == "no epochs to train: Epochs is 0" and window.session.step == 0
    assert [finished_text(n) for n in (1, 3)] == ["1 epoch done", "all 3 epochs done"]


def test_the_step_axes_know_where_the_run_ends_as_the_epochs_change(qtbot, make_window):
    """The plots over steps (loss, accuracy, the views over time) keep room to grow up to the
    run's last step, no further: the epochs asked for (a live setting) times an epoch's steps."""
    window = make_window(digits_config(epochs=2), start=True)
    wait_for(qtbot, lambda: window.session.mode == "finished")
    steps_per_epoch = window.session.history.epochs[1].step
    assert window.session.last_step == 2 * steps_per_epoch == window.session.step
    window.controls.epochs.setValue(5)
    wait_for(qtbot, lambda: window.session.config.train.epochs == 5)
    plots = [*window.curves.step_plots, *window.histograms.step_plots, *window.gradient_flow.step_plots]
    wait_for(qtbot, lambda: [plot.vb.ends[0] for plot in plots] == [5 * steps_per_epoch] * 5)  # at the session's next tick


def test_the_presets_menu_says_on_hover_what_each_lesson_shows(make_window):
    window = make_window()
    menu = next(a for a in window.menuBar().actions() if a.text() == "&Presets").menu()
    tips = {action.text(): action.toolTip() for action in menu.actions()}
    assert menu.toolTipsVisible() and tips == {name: wrapped_tip(preset.lesson) for name, preset in PRESETS.items()}
    assert "ln 2" in tips["Linear on XOR: no hidden layer"] and "orders of magnitude" in tips["Vanishing: 8 sigmoid layers"]


@pytest.mark.parametrize(
    "message, shown",
    [
        ("cannot save to /tmp/run.pt: No space left on device", "Cannot save to /tmp/run.pt: No space left on device"),
        ("run.pt is a folder, not a checkpoint file", "run.pt is a folder, not a checkpoint file"),  # a file's name as written
        ("model_state_dict holds no Linear layers", "model_state_dict holds no Linear layers"),
        ("fashion-mnist data not found in /data", "fashion-mnist data not found in /data"),
        ("Already a sentence.", "Already a sentence."),
        ("", ""),
    ],
)
def test_the_engines_messages_are_shown_as_sentences_keeping_names_as_written(message, shown):
    assert as_sentence(message) == shown


def test_a_long_tooltip_of_the_menus_wraps_instead_of_running_across_the_screen(qtbot, make_window):
    """Qt keeps a plain tooltip on one line while it fits the screen: a preset's lesson ran 870
    pixels wide at 1366 (the tests' 800-pixel offscreen screen wraps it anyway: hence the first
    check); rich text it wraps, and a table's width sets its lines' length."""
    window = make_window()
    actions = [action for menu in window.menuBar().actions() for action in menu.menu().actions() if action.toolTip()]
    assert all(QtGui.Qt.mightBeRichText(action.toolTip()) for action in actions if len(action.toolTip()) > 60)
    longest = max(actions, key=lambda action: len(action.toolTip()))
    assert len(longest.toolTip()) > 140, "a lesson of a sentence and more"
    QToolTip.showText(window.mapToGlobal(QPoint(0, 0)), longest.toolTip(), window)
    label = next(widget for widget in QApplication.topLevelWidgets() if widget.objectName() == "qtooltip_label")
    wait_for(qtbot, label.isVisible)
    assert 250 < label.width() < 450, "a few lines, neither one nor Qt's own six"
    QToolTip.hideText()


def test_chance_is_drawn_where_a_new_classifier_starts_and_not_for_a_regression(qtbot, make_window):
    """A loss flat at 2.30 had nothing to read it against: ln 10 is the loss of outputs that
    say nothing, as a new model's nearly are at d2l's init."""
    window = make_window(digits_config().with_changes(model={"init": "normal", "init_scale": 0.01}))
    curves, first = window.curves, window.session.history.epochs[0]
    assert curves.chance_loss.isVisible() and curves.chance_acc.isVisible()
    assert curves.chance_loss.value() == pytest.approx(first.test_loss, rel=1e-3), "the untrained model's loss"
    assert curves.chance_acc.value() == pytest.approx(1 / window.session.sizes[-1]) == pytest.approx(0.1)
    with qtbot.waitSignal(window.session.started, timeout=WAIT_MS):
        window.session.open(Config().with_changes(data={"name": "line"}, train={"epochs": 2}))
    assert not curves.chance_loss.isVisible() and not curves.chance_acc.isVisible()


def test_a_live_change_is_marked_on_the_curves_where_it_was_made(qtbot, make_window):
    """A bump in the loss after the learning rate went up has its cause beside it."""
    window = make_window(digits_config(epochs=3))
    window.step_action.trigger()
    wait_for(qtbot, lambda: window.session.step == 1)
    slider = window.controls.lr.slider
    slider.setValue(slider.value() + 1)  # a notch up, as a hand moves it: 0.178
    wait_for(qtbot, lambda: window.session.history.changes != [])
    assert [(c.step, c.text) for c in window.session.history.changes] == [(1, "lr 0.1 → 0.178")]
    window.redraw()
    lines = {plot: line for plot, line in window.curves.marks.lines}
    assert set(lines) == {window.curves.loss_plot, window.curves.acc_plot} and all(line.value() == 1 for line in lines.values())
    assert lines[window.curves.loss_plot].label.toPlainText() == "lr 0.1 → 0.178"
    open_tab(window, "gradient_flow")
    window.redraw()
    assert [(plot, line.value()) for plot, line in window.gradient_flow.marks.lines] == [(window.gradient_flow.ratio_plot, 1)], "where the update ratios jump"
    window.reset()  # a new model, a new history: no marks
    wait_for(qtbot, lambda: window.session.mode == "paused" and window.session.step == 0)
    window.redraw()
    assert window.curves.marks.lines == [] and window.gradient_flow.marks.lines == []
