"""The controls' own widgets, driven as a hand drives them: the log slider's notches and its
text box, the settings that need a hidden layer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QLocale, Qt
from PySide6.QtGui import QFocusEvent, QTextDocumentFragment
from PySide6.QtWidgets import QLabel

from engine.config import Config
from gui.app import make_application
from gui.panels.controls import LIVE_MARK, NO_HIDDEN_LAYER, SETTING_TIPS, ControlsPanel, setting_tip
from gui.widgets import LogSlider


@pytest.fixture
def slider(qtbot):
    """A learning-rate slider: 1e-4 to 10, four notches a decade, and 0 as its first notch."""
    make_application()
    widget = LogSlider(-4, 1, allow_zero=True)
    qtbot.addWidget(widget)
    widget.show()
    heard: list[float] = []
    widget.valueChanged.connect(heard.append)
    return widget, heard


def test_each_notch_of_the_slider_is_a_round_value_on_a_log_scale(slider):
    widget, heard = slider
    for notch in (1, 0, 1 + 4 * 3, 1 + 4 * 3 + 1):  # 1e-4, the zero notch, three decades up, a quarter decade more
        widget.slider.setValue(notch)
    assert heard == [1e-4, 0.0, 0.1, 0.178] and widget.value() == 0.178
    assert widget.edit.text() == "0.178"


def test_a_value_typed_in_moves_the_slider_to_its_notch(qtbot, slider):
    widget, heard = slider
    widget.edit.clear()
    qtbot.keyClicks(widget.edit, "0.03")
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert heard == [0.03] and widget.value() == 0.03
    assert widget.slider.value() == 1 + round((-1.5229 + 4) * 4), "between the notches of 0.0316 and 0.0178: the nearer"


def test_a_value_out_of_range_or_unfinished_goes_back_to_the_one_in_force(qtbot, slider):
    """"50" for a learning rate of at most 10 stayed in the box, unapplied, as if it were in force."""
    widget, heard = slider
    widget.setValue(0.1)
    for typed in ("50", "1e"):
        widget.edit.clear()
        qtbot.keyClicks(widget.edit, typed)
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
        assert (widget.edit.text(), widget.value(), heard) == ("0.1", 0.1, [])
    widget.edit.clear()
    qtbot.keyClicks(widget.edit, "50")
    widget.edit.focusOutEvent(QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))  # the user moves on
    assert (widget.edit.text(), widget.value(), heard) == ("0.1", 0.1, [])


def test_a_value_typed_with_a_decimal_point_is_read_whatever_the_systems_language(qtbot):
    """In a German locale the text box accepted only "0,03", which Python could not read: every
    value typed in snapped back. The controls write numbers with a point, and read them so."""
    make_application()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        widget = LogSlider(-4, 1)
        qtbot.addWidget(widget)
        widget.show()
        widget.edit.clear()
        qtbot.keyClicks(widget.edit, "0.03")
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
        assert widget.value() == 0.03 and widget.edit.text() == "0.03"
        widget.edit.clear()
        qtbot.keyClicks(widget.edit, "1,5")  # no comma gets in: "15" is out of range
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
        assert widget.value() == 0.03 and widget.edit.text() == "0.03", "the box says what is in force"
    finally:
        QLocale.setDefault(QLocale.c())


def test_the_value_in_force_typed_another_way_shows_as_it_always_does(qtbot, slider):
    """"0.10" typed over a learning rate of 0.1 stayed in the box as typed: the box showed a
    text no other path writes, and only because the value had not changed."""
    widget, heard = slider
    widget.setValue(0.1)
    for typed in ("0.10", "1e-1", "00.1"):
        widget.edit.clear()
        qtbot.keyClicks(widget.edit, typed)
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
        assert (widget.edit.text(), widget.value(), heard) == ("0.1", 0.1, [])


def test_enter_on_a_value_shown_rounded_keeps_it_exact(qtbot, slider):
    """0.12345 shows as 0.123; Enter pressed again in the box, text untouched, set the learning
    rate to 0.123 without a word."""
    widget, heard = slider
    widget.edit.clear()
    qtbot.keyClicks(widget.edit, "0.12345")
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert (widget.edit.text(), widget.value(), heard) == ("0.123", 0.12345, [0.12345])
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert (widget.edit.text(), widget.value(), heard) == ("0.123", 0.12345, [0.12345])


def test_settings_of_hidden_layers_wait_for_a_hidden_layer(qtbot):
    """With no hidden layer (softmax or linear regression) activation, dropout and batch norm
    change nothing: they are greyed out and say why, and come back with a layer."""
    make_application()
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    panel.set_config(Config().with_changes(model={"hidden": (8,), "dropout": 0.3}))
    hidden_only = (panel.activation, panel.dropout_on, panel.dropout, panel.batch_norm)
    assert all(w.isEnabled() for w in hidden_only)
    panel.hidden.remove_button.click()
    assert panel.hidden.layers() == () and not any(w.isEnabled() for w in hidden_only)
    assert panel.activation.toolTip() == NO_HIDDEN_LAYER
    panel.hidden.add_button.click()
    assert all(w.isEnabled() for w in hidden_only) and panel.activation.toolTip() == setting_tip("Activation", live=True)


def test_every_setting_says_what_it_does_and_when_it_applies(qtbot):
    make_application()
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    labels = [label for label in panel.findChildren(QLabel) if label.text().split(" <span")[0] in SETTING_TIPS]
    assert {label.text().split(" <span")[0] for label in labels} == set(SETTING_TIPS), "a tip for every row, every row a tip"
    for label in labels:
        live = LIVE_MARK in label.text()
        said = QTextDocumentFragment.fromHtml(label.toolTip()).toPlainText().strip()
        assert said.endswith("Applies at once, even while training." if live else "Applies when you press Reset.")
    assert panel.weight_decay.toolTip() == setting_tip("L2 (weight decay)", live=True) and "‖w‖²" in panel.weight_decay.toolTip()
    assert panel.batch_size.toolTip() == setting_tip("Batch size", live=False)
