"""Small input widgets that Qt lacks: a log-scale slider, a hidden-layers editor and a features
picker; tooltips that wrap, and the engine's messages as sentences."""

from __future__ import annotations

import html
import math
from collections.abc import Callable

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.config import PLANE_FEATURES
from engine.numbers import significant


TIP_WIDTH_PX = 320  # a long tooltip's lines: three for a preset's lesson
TIP_LINE_CHARS = 50  # about what such a line holds


def wrapped_tip(text: str) -> str:
    """`text` as a tooltip Qt wraps: rich text. A plain tooltip stays one line, however long (a
    preset's lesson ran 870 pixels wide), and Qt's own wrapping chose 165 pixels, six lines."""
    escaped = html.escape(text, quote=False)
    if len(text) <= TIP_LINE_CHARS:
        return f"<p>{escaped}</p>"
    return f'<table width="{TIP_WIDTH_PX}"><tr><td>{escaped}</td></tr></table>'


def as_sentence(message: str) -> str:
    """An engine message as a dialog or the status bar shows it: the engine writes them as a
    command line prints them, after "error: " ("cannot save to ..."), and a sentence starts
    with a capital. Only a plain word is capitalised: a message that starts with a name (a
    file "run.pt", "model_state_dict", "fashion-mnist") keeps it as written."""
    first = message.split(" ", 1)[0]
    return first.capitalize() + message[len(first) :] if first.isalpha() and first.islower() else message


def format_number(value: float) -> str:
    return "0" if value == 0 else significant(value)


class RevertingValidator(QDoubleValidator):
    """Numbers with a point, whatever the system's language, as the box shows them and Python
    reads them (in German the box took only "0,03", which then snapped back); and text it cannot
    accept when editing ends (out of range, unfinished) goes back to `current()` instead of
    staying in the box unapplied."""

    def __init__(self, lo: float, hi: float, current: Callable[[], str]) -> None:
        super().__init__(lo, hi, 12)
        self.setNotation(QDoubleValidator.Notation.ScientificNotation)
        numbers = QLocale.c()
        numbers.setNumberOptions(QLocale.NumberOption.RejectGroupSeparator)  # no commas get in
        self.setLocale(numbers)
        self._current = current

    def fixup(self, text: str) -> str:  # Qt's name: what the box holds when its text will not do
        return self._current()


class LogSlider(QWidget):
    """A slider over decades (10^lo .. 10^hi), optionally with 0 as its first notch, and a
    text box for an exact value. Learning rates and L2 strengths live on a log scale."""

    valueChanged = Signal(float)  # user edits only; setValue() is silent

    def __init__(self, lo_exp: int, hi_exp: int, allow_zero: bool = False, steps_per_decade: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lo, self._hi = lo_exp, hi_exp
        self._allow_zero = allow_zero
        self._steps = steps_per_decade
        self._value = 0.0 if allow_zero else 10.0**lo_exp
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, (hi_exp - lo_exp) * steps_per_decade + (1 if allow_zero else 0))
        self.edit = QLineEdit()
        self.edit.setFixedWidth(64)
        self.edit.setValidator(RevertingValidator(0.0 if allow_zero else 10.0**lo_exp, 10.0**hi_exp, lambda: format_number(self._value)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.edit)
        self.slider.valueChanged.connect(self._on_slider)
        self.edit.editingFinished.connect(self._on_text)
        self.setValue(self._value)

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        self._value = float(value)
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(self._value))
        self.slider.blockSignals(False)
        self.edit.setText(format_number(self._value))

    def _position(self, value: float) -> int:
        offset = 1 if self._allow_zero else 0
        if value <= 0:
            return 0
        exp = min(max(math.log10(value), self._lo), self._hi)
        return offset + round((exp - self._lo) * self._steps)

    def _value_at(self, position: int) -> float:
        if self._allow_zero:
            if position == 0:
                return 0.0
            position -= 1
        return float(f"{10.0 ** (self._lo + position / self._steps):.3g}")

    def _on_slider(self, position: int) -> None:
        self._value = self._value_at(position)
        self.edit.setText(format_number(self._value))
        self.valueChanged.emit(self._value)

    def _on_text(self) -> None:
        if self.edit.text() == format_number(self._value):  # untouched: 0.12345, shown as 0.123, stays exact
            return
        value = float(self.edit.text())  # the validator let only a number in range through
        changed = value != self._value
        self.setValue(value)  # "05" or "0.10" shows as 5 or 0.1, like every value set
        if changed:
            self.valueChanged.emit(self._value)


class LayersEditor(QWidget):
    """Hidden layer sizes as spin boxes (three to a row), with buttons to add and remove layers."""

    changed = Signal()
    MAX_LAYERS = 12
    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._boxes: list[QSpinBox] = []
        self.add_button = QToolButton(text="+")
        self.add_button.setToolTip("Add a hidden layer")
        self.remove_button = QToolButton(text="−")
        self.remove_button.setToolTip("Remove the last hidden layer (none left: softmax regression)")
        self.summary = QLabel()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.summary, 1)
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addLayout(self._grid)
        self.add_button.clicked.connect(self._add_clicked)
        self.remove_button.clicked.connect(self._remove_clicked)
        self._update_buttons()

    def layers(self) -> tuple[int, ...]:
        return tuple(box.value() for box in self._boxes)

    def setLayers(self, sizes: tuple[int, ...]) -> None:
        while self._boxes:
            self._drop_last()
        for size in sizes:
            self._append(size)
        self._update_buttons()

    def _append(self, size: int) -> None:
        box = QSpinBox()
        box.setRange(1, 4096)
        box.setValue(size)
        box.setToolTip(f"Neurons in hidden layer {len(self._boxes) + 1}")
        box.valueChanged.connect(self.changed)
        index = len(self._boxes)
        self._grid.addWidget(box, index // self.COLUMNS, index % self.COLUMNS)
        self._boxes.append(box)

    def _drop_last(self) -> None:
        box = self._boxes.pop()
        self._grid.removeWidget(box)
        box.deleteLater()

    def _add_clicked(self) -> None:
        self._append(self._boxes[-1].value() if self._boxes else 64)
        self._update_buttons()
        self.changed.emit()

    def _remove_clicked(self) -> None:
        if self._boxes:
            self._drop_last()
            self._update_buttons()
            self.changed.emit()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(len(self._boxes) < self.MAX_LAYERS)
        self.remove_button.setEnabled(bool(self._boxes))
        n = len(self._boxes)
        self.summary.setText("no hidden layer" if n == 0 else f"{n} hidden layer{'s' if n > 1 else ''}")


FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂"}


class FeaturesPicker(QWidget):
    """A check box per feature of a plane set's points (TensorFlow Playground's inputs); one at
    least stays checked: a model with no input has nothing to learn from."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)  # three to a row: one row of five widened the controls' column
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for i, name in enumerate(PLANE_FEATURES):
            box = self.boxes[name] = QCheckBox(FEATURE_LABELS[name])
            box.setToolTip(f"feed the model {FEATURE_LABELS[name]} of each point")
            box.toggled.connect(lambda on, name=name: self._toggled(name, on))
            grid.addWidget(box, i // 3, i % 3)
        grid.setColumnStretch(3, 1)

    def features(self) -> tuple[str, ...]:
        return tuple(name for name, box in self.boxes.items() if box.isChecked())

    def set_features(self, features: tuple[str, ...]) -> None:
        """Check exactly `features`, silently."""
        for name, box in self.boxes.items():
            was_blocked = box.blockSignals(True)
            box.setChecked(name in features)
            box.blockSignals(was_blocked)

    def _toggled(self, name: str, on: bool) -> None:
        if not on and not self.features():
            self.set_features((name,))  # the last one stays
            return
        self.changed.emit()
