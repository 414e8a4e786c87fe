"""The controls panel: every setting of the run, and which of them apply live.

The panel edits a Config and says so (`edited`); it sends nothing itself. The
window turns edits of live fields (lr, L2, L1, clipping, epochs, dropout,
activation) into commands at once, and the rest wait for Reset, which the
panel's hint line announces.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.commands import fields_needing_reset
from engine.config import ACTIVATION_NAMES, DATASET_NAMES, DEVICES, INIT_SCHEMES, OPTIMIZERS, Config, changed_fields, reads
from engine.trainer import unavailable_devices
from gui.widgets import FeaturesPicker, LayersEditor, LogSlider, wrapped_tip

LIVE_MARK = "●"  # green dot beside settings that apply while training
RESET_MARK = "↻"  # beside settings that need Reset
DATASET_LABELS = {
    "fashion-mnist": "Fashion-MNIST (28x28)",
    "mnist": "MNIST (28x28)",
    "digits": "Digits (8x8, offline)",
    "circle": "Circle (2-D toy)",
    "xor": "XOR (2-D toy)",
    "gauss": "Gaussians (2-D toy)",
    "spiral": "Spiral (2-D toy)",
    "polynomial": "Polynomial (regression)",
    "line": "Noisy line (regression)",
    "highdim": "200-d linear (regression)",
}
NO_HIDDEN_LAYER = "No hidden layer: a linear model, with nothing to activate, drop out or normalize (+ adds a layer)."
EDIT_SETTLE_MS = 150  # a dragged slider sends one change when it rests, not fifty


# What each setting does, on hover over its label or its field: the chapter's idea in a line.
SETTING_TIPS = {
    "Dataset": "What the model learns: Fashion-MNIST or MNIST (28x28 images, downloaded once), digits (8x8, "
    "offline), 2-D toy sets (drawn with the decision boundary) or regressions.",
    "Noise": "How far a toy set's points stray from their class's shape.",
    "Poly features": "The features x^i/i! the model sees of d2l's degree-3 polynomial data: 4 fit, fewer underfit, "
    "20 overfit.",
    "Features": "What the model sees of each point: x₁ and x₂, or products of them (TensorFlow Playground's inputs).",
    "Hidden": "The hidden layers' sizes, input to output. None: softmax (or linear) regression.",
    "Activation": "The nonlinearity after each hidden layer: without one, any depth is still a linear model.",
    "Dropout": "While training, zero each hidden unit with this probability and scale the others by 1/(1-p); "
    "off at test time.",
    "Batch norm": "Normalize each hidden unit's pre-activation over the batch (then a learned scale and shift).",
    "From scratch": "d2l 5.2's MLP from scratch: explicit parameters, hand-written ReLU and SGD. "
    "Same numbers as the nn.Linear model for the same seed. Trains with plain SGD.",
    "Init": "How the weights start: normal N(0, scale²), Xavier or He (scaled to each layer's size), or constant "
    "(every weight equal: the units stay copies of each other). Biases start at 0.",
    "Init scale": "normal: the standard deviation; Xavier, He: a factor on theirs; constant: the value.",
    "Learning rate": "The size of each step: w ← w - lr·∇w.",
    "L2 (weight decay)": "Adds λ/2·‖w‖² to the loss (weights, not biases): with plain SGD each step shrinks every "
    "weight by lr·λ·w.",
    "L1": "Adds λ·Σ|w| to the loss: pushes weights to exactly 0.",
    "Clip grad norm": "Scales the gradient down to this norm when it is larger (0: off): tames exploding gradients.",
    "Epochs": "Passes over the training set. Raise it to train on after a run ends.",
    "Optimizer": "sgd (plain, or with momentum) or adam.",
    "Momentum": "SGD: the share of the last step carried into the next.",
    "Batch size": "Samples per step: the gradient is their mean.",
    "Seed": "Seeds the first weights, the batches' order and dropout's masks (and a toy set's points): "
    "the same seed, the same run.",
    "Device": "Where torch trains: cpu, cuda, or auto (cuda when there is one).",
}


def _label(text: str, live: bool) -> QLabel:
    mark = f'<span style="color:#2e9d4f">{LIVE_MARK}</span>' if live else f'<span style="color:#c77700">{RESET_MARK}</span>'
    return QLabel(f"{text} {mark}")


def setting_tip(text: str, live: bool) -> str:
    """The tooltip of a setting: what it does, and when it applies."""
    return wrapped_tip(f"{SETTING_TIPS[text]} {'Applies at once, even while training.' if live else 'Applies when you press Reset.'}")


class ControlsPanel(QWidget):
    edited = Signal(object)  # Config: the settings as the panel shows them now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = Config()  # fields the panel does not show come from here
        self._active = Config()  # the settings in force in the trainer
        self._settle = QTimer(self, singleShot=True, interval=EDIT_SETTLE_MS)
        self._settle.timeout.connect(lambda: self.edited.emit(self.config()))
        self._tips: dict[QWidget, str] = {}  # each field's tooltip (one a missing hidden layer replaces for a while)
        self._build()
        self.set_config(self._base)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.dataset = QComboBox()
        for name in DATASET_NAMES:
            self.dataset.addItem(DATASET_LABELS.get(name, name), name)
        self.noise = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.5, singleStep=0.05)
        self.poly_degree = QSpinBox(minimum=1, maximum=20)
        self.features = FeaturesPicker()
        self.hidden = LayersEditor()
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATION_NAMES)
        self.dropout_on = QCheckBox("on")
        self.dropout = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=0.99, singleStep=0.05)
        self.batch_norm = QCheckBox("between hidden layers")
        self.from_scratch = QCheckBox("W, b, ReLU, SGD by hand")
        self.init = QComboBox()
        self.init.addItems(INIT_SCHEMES)
        self.init_scale = LogSlider(-3, 1)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.lr = LogSlider(-4, 1)
        self.momentum = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.99, singleStep=0.1)
        self.weight_decay = LogSlider(-5, 1, allow_zero=True)
        self.l1 = LogSlider(-6, -1, allow_zero=True)
        self.clip_grad = LogSlider(-2, 3, allow_zero=True)
        self.batch_size = QSpinBox(minimum=1, maximum=65536)
        self.epochs = QSpinBox(minimum=0, maximum=100000)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        for name, reason in unavailable_devices().items():
            index = self.device.findText(name)
            self.device.model().item(index).setEnabled(False)  # a settings file may still choose it: Reset then says why
            self.device.setItemData(index, reason, Qt.ItemDataRole.ToolTipRole)

        data = self._data_form = QFormLayout()
        self._add_row(data, "Dataset", False, self.dataset)
        self._add_row(data, "Noise", False, self.noise)
        self._add_row(data, "Poly features", False, self.poly_degree)
        self._add_row(data, "Features", False, self.features)
        model = QFormLayout()
        self._add_row(model, "Hidden", False, self.hidden)
        self._add_row(model, "Activation", True, self.activation)
        dropout_row = QWidget()
        dropout_layout = QFormLayout(dropout_row)
        dropout_layout.setContentsMargins(0, 0, 0, 0)
        dropout_layout.addRow(self.dropout_on, self.dropout)
        self._add_row(model, "Dropout", True, dropout_row, (self.dropout_on, self.dropout))
        self._add_row(model, "Batch norm", False, self.batch_norm)
        self._add_row(model, "From scratch", False, self.from_scratch)
        self._add_row(model, "Init", False, self.init)
        self._add_row(model, "Init scale", False, self.init_scale)
        train = QFormLayout()
        self._add_row(train, "Learning rate", True, self.lr)
        self._add_row(train, "L2 (weight decay)", True, self.weight_decay)
        self._add_row(train, "L1", True, self.l1)
        self._add_row(train, "Clip grad norm", True, self.clip_grad)
        self._add_row(train, "Epochs", True, self.epochs)
        self._add_row(train, "Optimizer", False, self.optimizer)
        self._add_row(train, "Momentum", False, self.momentum)
        self._add_row(train, "Batch size", False, self.batch_size)
        self._add_row(train, "Seed", False, self.seed)
        self._add_row(train, "Device", False, self.device)

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        legend = QLabel(
            f'<span style="color:#2e9d4f">{LIVE_MARK}</span> applies live &nbsp; '
            f'<span style="color:#c77700">{RESET_MARK}</span> needs Reset'
        )
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(4, 4, 4, 4)
        for title, form in (("Data", data), ("Model", model), ("Training", train)):
            box = QGroupBox(title)
            box.setLayout(form)
            column.addWidget(box)
        column.addWidget(legend)
        column.addWidget(self.hint)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Its dock may narrow it down to the form's width, no further: on a 1024-pixel screen the
        # dock took 240 pixels and cut every field short (scroll areas ask for almost no width).
        frame = 2 * scroll.frameWidth() + scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(inner.minimumSizeHint().width() + frame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        for combo in (self.dataset, self.activation, self.init, self.optimizer, self.device):
            combo.currentIndexChanged.connect(self._changed)
        for spin in (self.noise, self.poly_degree, self.dropout, self.momentum, self.batch_size, self.epochs, self.seed):
            spin.valueChanged.connect(self._changed)
        for check in (self.dropout_on, self.batch_norm, self.from_scratch):
            check.toggled.connect(self._changed)
        self.from_scratch.toggled.connect(self._scratch_toggled)
        for slider in (self.init_scale, self.lr, self.weight_decay, self.l1, self.clip_grad):
            slider.valueChanged.connect(self._changed)
        self.hidden.changed.connect(self._changed)
        self.features.changed.connect(self._changed)

    def _add_row(self, form: QFormLayout, text: str, live: bool, field: QWidget, explained: tuple[QWidget, ...] = ()) -> None:
        """A labelled row; the label and the field (or the `explained` parts of it) say on hover
        what the setting does and when it applies."""
        tip = setting_tip(text, live)
        label = _label(text, live)
        label.setToolTip(tip)
        form.addRow(label, field)
        for widget in explained or (field,):
            widget.setToolTip(tip)
            self._tips[widget] = tip

    # ------------------------------------------------------------------ config in and out
    def config(self) -> Config:
        """The settings the widgets show, where the user changed them since the last set_config;
        the others as they were set, exactly: a spin box shows 0.333 as 0.33 and 200,000 epochs
        as its largest, 100,000, and an unrelated edit sent those on as if chosen."""
        read, edits = self._read_widgets(), {}
        for section, name in changed_fields(self._shown, read):
            edits.setdefault(section, {})[name] = getattr(getattr(read, section), name)
        return self._base.with_changes(**edits)

    def _read_widgets(self) -> Config:
        """What the widgets show (fields without a widget come from the last set_config)."""
        return self._base.with_changes(
            data={
                "name": self.dataset.currentData(),
                "noise": round(self.noise.value(), 2),
                "poly_degree": self.poly_degree.value(),
                "features": self.features.features(),
            },
            model={
                "hidden": self.hidden.layers(),
                "activation": self.activation.currentText(),
                "dropout": round(self.dropout.value(), 2) if self.dropout_on.isChecked() else 0.0,
                "batch_norm": self.batch_norm.isChecked(),
                "from_scratch": self.from_scratch.isChecked(),
                "init": self.init.currentText(),
                "init_scale": self.init_scale.value(),
            },
            train={
                "optimizer": self.optimizer.currentText(),
                "lr": self.lr.value(),
                "momentum": round(self.momentum.value(), 2),
                "batch_size": self.batch_size.value(),
                "epochs": self.epochs.value(),
                "weight_decay": self.weight_decay.value(),
                "l1": self.l1.value(),
                "clip_grad": self.clip_grad.value(),
                "seed": self.seed.value(),
                "device": self.device.currentText(),
            },
        )

    def set_config(self, config: Config) -> None:
        """Show `config` in every widget, silently (no `edited`)."""
        self._base = config
        widgets = self.findChildren(QWidget)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(config.data.name)))
            self.noise.setValue(config.data.noise)
            self.poly_degree.setValue(config.data.poly_degree)
            self.features.set_features(config.data.features)
            self.hidden.setLayers(config.model.hidden)
            self.activation.setCurrentText(config.model.activation)
            self.dropout_on.setChecked(config.model.dropout > 0)
            self.dropout.setValue(config.model.dropout if config.model.dropout > 0 else 0.5)
            self.batch_norm.setChecked(config.model.batch_norm)
            self.from_scratch.setChecked(config.model.from_scratch)
            self.init.setCurrentText(config.model.init)
            self.init_scale.setValue(config.model.init_scale)
            self.optimizer.setCurrentText(config.train.optimizer)
            self.lr.setValue(config.train.lr)
            self.momentum.setValue(config.train.momentum)
            self.batch_size.setValue(config.train.batch_size)
            self.epochs.setValue(config.train.epochs)
            self.weight_decay.setValue(config.train.weight_decay)
            self.l1.setValue(config.train.l1)
            self.clip_grad.setValue(config.train.clip_grad)
            self.seed.setValue(config.train.seed)
            self.device.setCurrentText(config.train.device)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._shown = self._read_widgets()
        self._update_enabled()
        self._update_hint()

    def set_active(self, config: Config) -> None:
        """The settings now in force in the trainer: the hint compares the panel with them."""
        self._active = config
        self._update_hint()

    def pending_reset(self) -> list[str]:
        return fields_needing_reset(self._active, self.config())

    # ------------------------------------------------------------------ reactions
    def _changed(self) -> None:
        self._update_enabled()
        self._update_hint()
        self._settle.start()

    def flush(self) -> None:
        """Emit a pending edit now (e.g. before Reset reads the panel)."""
        if self._settle.isActive():
            self._settle.stop()
            self.edited.emit(self.config())

    def _update_enabled(self) -> None:
        name = self.dataset.currentData()
        for setting in ("noise", "features", "poly_degree"):
            self._data_form.setRowVisible(getattr(self, setting), reads(name, setting))
        scratch = self.from_scratch.isChecked()
        hidden = bool(self.hidden.layers())  # without one, these settings change nothing
        for widget in (self.activation, self.dropout_on, self.batch_norm):
            widget.setToolTip(self._tips[widget] if hidden else NO_HIDDEN_LAYER)
        self.activation.setEnabled(hidden)
        self.dropout_on.setEnabled(hidden)
        self.dropout.setEnabled(hidden and self.dropout_on.isChecked())
        self.optimizer.setEnabled(not scratch)
        self.batch_norm.setEnabled(hidden and not scratch)
        self.momentum.setEnabled(self.optimizer.currentText() == "sgd" and not scratch)

    def _scratch_toggled(self, on: bool) -> None:
        """d2l's from-scratch model trains with its own plain SGD: show the settings it implies."""
        if on:
            self.optimizer.setCurrentText("sgd")
            self.momentum.setValue(0.0)
            self.batch_norm.setChecked(False)

    def _update_hint(self) -> None:
        pending = self.pending_reset()
        if pending:
            names = ", ".join(n.replace("_", " ") for n in pending)
            self.hint.setText(f"<b>Reset to apply:</b> {names}")
            self.hint.setStyleSheet("background:#fff3cd; color:#664d03; padding:4px; border-radius:3px")
        else:
            self.hint.setText("Settings in force.")
            self.hint.setStyleSheet("color:#666; padding:4px")
