"""The main window: docks, menus, transport, dialogs. No training logic lives here:
it turns user actions into commands for the session and session ticks into redraws."""

from __future__ import annotations

import copy
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine import commands as cmd
from engine.config import REGRESSION_SETS, Config, changed_fields, describe_differences, suited_to_its_dataset
from engine.errors import ConfigError
from engine.experiments import EXPERIMENTS, Variant, on_data_folder
from engine.export import write_pytorch_script
from engine.files import save_bytes
from engine.presets import PRESETS
from engine.stats import Diverged
from gui.background import BackgroundJobs
from gui.banner import DivergenceBanner
from gui.help import ChapterGuide, about_html
from gui.keyboard import SpaceForKeyboardFocus
from gui.recent import RecentCheckpoints
from gui.refresh_queue import Refresh, RefreshQueue
from gui.panels.activation import ActivationPanel
from gui.panels.comparison import ComparisonPanel
from gui.panels.controls import ControlsPanel
from gui.panels.curves import CurvesPanel, history_csv
from gui.panels.gradient_flow import GradientFlowPanel
from gui.panels.histograms import HistogramsPanel
from gui.panels.network import NetworkPanel
from gui.panels.predictions import PredictionsPanel
from gui.panels.random_matrices import RandomMatricesPanel
from gui.plotting import fit_steady_views, png_bytes, sharp_picture
from gui.session import Session
from gui.status import StatusMessage
from gui.unsaved import UnsavedTraining
from gui.widgets import as_sentence, wrapped_tip

CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth);;All files (*)"
# What an opened file was, in words (the engine names the kinds "mlp-lab", "d2l-checkpoint", "state_dict").
CHECKPOINT_KINDS = {"mlp-lab": "an MLP Lab checkpoint", "d2l-checkpoint": "a d2l checkpoint", "state_dict": "a state_dict: weights only"}
# The default arrangement of the docks: raised when it changes, so that a layout saved before
# gives way to the new one (version 1: the d2l demonstrations moved beside the network).
LAYOUT_VERSION = 1

# The session's modes as the status bar words them: with no worker the window has no model
# (its data could not load), which "stopped" did not say.
MODE_WORDS = {"stopped": "no model"}

FAILURE_TITLES = {
    "Load": "Could not open the checkpoint",
    "Save": "Could not save the checkpoint",
    "Reset": "Could not reset",
}


def dropped_file(mime: QMimeData) -> str | None:
    """The one local file dragged in, whatever its name: opening it says what it is, as the
    dialog's "All files" does."""
    urls = mime.urls()
    return urls[0].toLocalFile() if len(urls) == 1 and urls[0].isLocalFile() else None


def finished_text(epochs_done: int) -> str:
    """The full epoch bar's words once no epoch is left to run."""
    if epochs_done == 0:
        return "no epochs to train: Epochs is 0"
    return "1 epoch done" if epochs_done == 1 else f"all {epochs_done} epochs done"


def remembered_config(settings: QSettings) -> Config | None:
    """The settings of the last session, or None if there are none (or they no longer fit)."""
    text = settings.value("config")
    if not text:
        return None
    try:
        return Config.from_dict(json.loads(str(text)))
    except (ValueError, ConfigError):
        return None


class MainWindow(QMainWindow):
    def __init__(self, session: Session, settings: QSettings, config: Config, note: str = "") -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.jobs = BackgroundJobs(self)
        self.unsaved = UnsavedTraining(session, settings, self)
        # A checkpoint being saved before training not yet saved is lost, and what then follows
        # (closing, opening another file).
        self._once_saved: tuple[str, Callable[[], None]] | None = None
        self._asked_to_close = False  # Ctrl+C in the terminal, or closing after its save
        self.setWindowTitle("MLP Lab")
        self.setAcceptDrops(True)  # a checkpoint dropped on the window opens
        self.controls = ControlsPanel()
        self.controls.set_config(config)
        self.controls.set_active(config)
        self.curves = CurvesPanel()
        self.histograms = HistogramsPanel()
        self.gradient_flow = GradientFlowPanel()
        self.activation = ActivationPanel()
        self.random_matrices = RandomMatricesPanel()
        self.network = NetworkPanel()
        self.comparison = ComparisonPanel()
        self.predictions = PredictionsPanel()
        self.banner = DivergenceBanner()
        self.guide: ChapterGuide | None = None
        self.refresh_queue = RefreshQueue(self, self._panel_refreshes, self._fit_if_stopped)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.curves, 1)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        # Controls and network take the full height at the sides; the bottom tabs sit under the curves.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        # The bottom tabs follow the run; d2l's two demonstrations share the network's column,
        # where their tabs read in full (six tabs under the curves were cut to "Hist...").
        self._add_dock("controls", "Controls", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_tabs(
            Qt.DockWidgetArea.RightDockWidgetArea,
            ("network", "Network", self.network),
            ("activation", "Activation explorer", self.activation),
            ("random_matrices", "Products of random matrices", self.random_matrices),
        )
        self._add_tabs(
            Qt.DockWidgetArea.BottomDockWidgetArea,
            ("histograms", "Histograms", self.histograms),
            ("gradient_flow", "Gradient flow", self.gradient_flow),
            ("predictions", "Predictions", self.predictions),
            ("comparison", "Experiments", self.comparison),
        )
        self._build_actions()
        self.space_keys = SpaceForKeyboardFocus(self)  # Space: Start/Pause, or the control Tab reached
        self._build_status_bar()
        self._default_state = self.saveState()
        self._restore_settings()
        self._connect()
        if note:  # once shown, when the status bar's labels have their places; it stays until another message
            QTimer.singleShot(0, lambda: self.say(note, 0))
        self._update_transport()

    # ------------------------------------------------------------------ building
    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")  # saveState() needs names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        dock.visibilityChanged.connect(lambda visible: self.refresh_queue.one_plot_of(widget) if visible else None)  # a tab brought forward
        return dock

    def _add_tabs(self, area: Qt.DockWidgetArea, *panels: tuple[str, str, QWidget]) -> None:
        """Docks sharing one place in `area` as tabs, the first one in front. Each joins the
        tabs as it is added: side by side for a moment, their widths would add up to a
        minimum width that held the window wider than a 1024-pixel screen."""
        (key, title, panel), *others = panels
        first = self._add_dock(key, title, panel, area)
        for key, title, panel in others:
            self.tabifyDockWidget(first, self._add_dock(key, title, panel, area))
        first.raise_()

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.setToolTip(wrapped_tip(f"{tip or text} ({action.shortcut().toString()})" if shortcut else tip or text))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.start_action = self._action("Start", "Space", self.toggle_training, "Start or pause training")
        # While no model is ready Start is off, and Space went on to the focused control (the
        # log-scale box, which a new window focuses first, ticked itself): this takes it then.
        self.space_while_not_ready = QShortcut(QKeySequence("Space"), self, context=Qt.ShortcutContext.ApplicationShortcut)
        self.step_action = self._action("Step", "Ctrl+Right", self.step, "Train one batch, then pause")
        self.reset_action = self._action("Reset", "Ctrl+R", self.reset, "A fresh model with the settings shown")
        self.save_action = self._action("Save checkpoint…", QKeySequence.StandardKey.Save, self.save_checkpoint)
        self.open_action = self._action("Open checkpoint…", QKeySequence.StandardKey.Open, self.open_checkpoint)
        self.export_png_action = self._action("Export curves as PNG…", None, self.export_png)
        self.export_csv_action = self._action("Export curves as CSV…", None, self.export_csv)
        self.export_code_action = self._action(
            "Export as PyTorch code…", "Ctrl+E", self.export_code, "The run's settings as a plain nn.Sequential script"
        )
        quit_action = self._action("Quit", QKeySequence.StandardKey.Quit, self.close)

        menu = self.menuBar().addMenu("&File")
        menu.addAction(self.open_action)
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent = RecentCheckpoints(self.settings, menu, self.recent_menu, self.open_path)
        menu.addAction(self.save_action)
        menu.addSeparator()
        menu.addAction(self.export_png_action)
        menu.addAction(self.export_csv_action)
        menu.addAction(self.export_code_action)
        menu.addSeparator()
        menu.addAction(self.unsaved.ask_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        train_menu = self.menuBar().addMenu("&Training")
        for action in (self.start_action, self.step_action, self.reset_action):
            train_menu.addAction(action)
        train_menu.addSeparator()
        self.pin_action = self._action("Pin run as baseline", "Ctrl+B", self.pin_baseline, "Keep this run's test curves to compare")
        train_menu.addAction(self.pin_action)
        train_menu.addAction(self._action("Clear baselines", None, self.curves.clear_baselines))
        experiments_menu = self.menuBar().addMenu("E&xperiments")
        experiments_menu.setToolTipsVisible(True)  # what each shows, on hover: Qt's menus hide tooltips
        offered: list[tuple[QAction, str]] = []  # each action and what it shows, for the panel too
        for name, build in EXPERIMENTS.items():  # each experiment's docstring says what it shows
            about = " ".join((inspect.getdoc(build) or "").split())  # one paragraph, not the docstring's lines
            offered.append((self._action(name, None, lambda checked=False, n=name: self.run_experiment(n), about), about))
            experiments_menu.addAction(offered[-1][0])
        experiments_menu.addSeparator()
        about = "Train the run's settings and the controls' pending ones together, from scratch"
        self.side_by_side_action = self._action("Side by side: settings in force vs settings shown", None, self.run_side_by_side, about)
        offered.append((self.side_by_side_action, about))
        experiments_menu.addAction(self.side_by_side_action)
        self.comparison.offer(offered)
        presets_menu = self.menuBar().addMenu("&Presets")
        presets_menu.setToolTipsVisible(True)  # what each lesson shows, on hover
        for name, preset in PRESETS.items():
            presets_menu.addAction(self._action(name, None, lambda checked=False, n=name: self.apply_preset(n), preset.lesson))
        self.view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self._action("Restore default layout", None, self.restore_default_layout))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("The MLP chapter in MLP Lab", "F1", self.show_guide, "Each idea of d2l's chapter, with links that set it up"))
        help_menu.addAction(self._action("About MLP Lab", None, self.show_about))

        toolbar = QToolBar("Transport")
        toolbar.setObjectName("transport")
        for action in (self.start_action, self.step_action, self.reset_action):
            toolbar.addAction(action)
        self.epoch_progress = QProgressBar()
        self.epoch_progress.setRange(0, 1000)
        self.epoch_progress.setMaximumWidth(260)
        self.epoch_progress.setFormat("epoch")
        toolbar.addSeparator()
        toolbar.addWidget(self.epoch_progress)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel()
        self.position_label = QLabel()
        self.speed_label = QLabel()
        self.device_label = QLabel()
        self.download_bar = QProgressBar()
        self.download_bar.setMaximumWidth(240)
        self.download_bar.hide()
        self.status_labels = (self.state_label, self.position_label, self.speed_label, self.device_label)
        for label in self.status_labels:
            label.setMinimumWidth(80)
            bar.addPermanentWidget(label)
        bar.addPermanentWidget(self.download_bar)
        self.status_message = StatusMessage(bar, self.status_labels)

    def say(self, message: str, ms: int) -> None:
        """A message in the status bar for `ms` milliseconds (0: until the next), cut to fit (gui.status)."""
        self.status_message.say(as_sentence(message), ms)

    def warn(self, title: str, message: str) -> None:
        """A message box; the engine's reasons read as sentences."""
        QMessageBox.warning(self, title, as_sentence(message))

    def _connect(self) -> None:
        s = self.session
        s.started.connect(self._on_started)
        s.tick.connect(self._on_tick)
        s.mode_changed.connect(self._on_mode)
        s.diverged.connect(self._on_diverged)
        s.command_failed.connect(self._on_command_failed)
        s.failed.connect(self._on_failed)
        s.saved.connect(self._on_saved)
        s.loaded.connect(self._on_loaded)
        s.download.connect(self._on_download)
        self.controls.edited.connect(self._on_edited)
        self.histograms.layer.currentIndexChanged.connect(lambda _: self.redraw())
        self.network.layer_selected.connect(self._show_layer)
        self.banner.lower_lr.connect(self._lower_learning_rate)
        self.banner.clip_gradients.connect(lambda: self._edit_live(train={"clip_grad": 1.0}))
        self.banner.reset.connect(self.reset)
        self.jobs.finished.connect(self._on_job_finished)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        placed = isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
        if not placed:
            screen = self.screen().availableGeometry()
            self.resize(min(screen.width(), 1680), min(screen.height(), 1050))
        # A layout saved under another arrangement of the docks gives way to this one's default.
        if not (placed and isinstance(state, QByteArray) and self.restoreState(state, LAYOUT_VERSION)):
            self._default_dock_sizes()
        self.curves.log_scale.setChecked(self.settings.value("curves/log", False, type=bool))

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("config", json.dumps(self.controls.config().to_dict()))
        self.settings.setValue("curves/log", self.curves.log_scale.isChecked())
        self.settings.sync()

    def _default_dock_sizes(self) -> None:
        self.resizeDocks([self.docks["controls"], self.docks["network"]], [360, 430], Qt.Orientation.Horizontal)
        # A tall window shares its height more evenly: at 1050 pixels a fixed 320 left the six
        # histograms 100 pixels each under curves 600 pixels tall.
        self.resizeDocks([self.docks["histograms"]], [max(320, round(0.4 * self.height()))], Qt.Orientation.Vertical)

    def restore_default_layout(self) -> None:
        """The docks where a first launch puts them, at a first launch's sizes."""
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()
        self._default_dock_sizes()

    def _last_dir(self) -> str:
        return str(self.settings.value("files/last_dir", str(Path.home())))

    def _remember_dir(self, path: str) -> None:
        self.settings.setValue("files/last_dir", os.path.dirname(os.path.abspath(path)))

    # ------------------------------------------------------------------ transport
    def toggle_training(self) -> None:
        if self.session.mode == "running":
            self.session.send(cmd.Pause())
        else:
            self.banner.hide()
            self.session.send(cmd.Resume())

    def step(self) -> None:
        self.session.send(cmd.Step())

    def reset(self) -> None:
        """A fresh model on the settings shown; on another dataset, with the training that suits it
        where the user left the batch size, epochs or rate as they were (the status bar says so)."""
        self.banner.hide()
        shown, before = self.controls.config(), self.session.config
        config = suited_to_its_dataset(shown, before) if before is not None else shown
        if config != shown:
            self.controls.set_config(config)
            suited = ", ".join(f"{name.replace('_', ' ')} {getattr(config.train, name):g}" for _, name in changed_fields(shown, config))
            self.say(f"{suited}: the training that suits {config.data.name} (set yours and Reset again)", 10000)
        self.session.reset(config)

    def pin_baseline(self) -> None:
        if self.session.config is not None and self.session.history.epochs:
            self.curves.pin(copy.deepcopy(self.session.history), self.session.config)
            self.curves.label_baselines(self.session.config)

    def run_experiment(self, name: str, variants: list[Variant] | None = None) -> None:
        """Train the experiment's variants side by side in their own thread (the main run stays)."""
        self.bring_forward("comparison")
        # Two plots side by side need room: give the bottom docks half the height.
        self.resizeDocks([self.docks["comparison"]], [max(320, self.height() // 2)], Qt.Orientation.Vertical)
        if variants is None:
            variants = EXPERIMENTS[name]()
            if self.session.config is not None:  # an image set from the session's own folder, not downloaded again
                variants = on_data_folder(variants, self.session.config.data)
        self.comparison.start(name, variants)

    def run_side_by_side(self) -> None:
        """The settings in force against the settings shown, trained together from scratch."""
        active, shown = self.session.config, self.controls.config()
        if active is None:
            return
        if not changed_fields(active, shown):
            self.say("Change a setting in the controls first: it trains against the settings in force.", 8000)
            return
        try:
            shown.validate()
        except ConfigError as exc:
            self.warn("Cannot train these settings", str(exc))
            return
        variants = [Variant("in force", active), Variant("shown", shown)]
        self.run_experiment(f"Side by side: {describe_differences(active, shown)} (in force vs shown)", variants)

    def apply_preset(self, name: str) -> None:
        """Show the preset's settings and start a fresh model on them (paused)."""
        self.controls.set_config(PRESETS[name](self.controls.config()))
        self.reset()
        self.say(f"Preset: {name}", 8000)

    def show_guide(self) -> None:
        if self.guide is None:  # made once, on first use: it keeps its place and scroll position after
            self.guide = ChapterGuide({key: dock.windowTitle() for key, dock in self.docks.items()}, self)
            self.guide.follow.connect(self._follow)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()

    def _follow(self, kind: str, name: str) -> None:
        """A link of the guide: a preset, an experiment, or a panel brought forward."""
        if kind == "preset":
            self.apply_preset(name)
        elif kind == "experiment":
            self.run_experiment(name)
        else:
            self.bring_forward(name)

    def bring_forward(self, key: str) -> None:
        """The dock `key` shown, in front of the tabs it shares a place with."""
        self.docks[key].show()
        self.docks[key].raise_()

    def show_about(self) -> None:
        QMessageBox.about(self, "About MLP Lab", about_html(self.session.device_name or "not chosen yet"))

    def _lower_learning_rate(self) -> None:
        self._edit_live(train={"lr": float(f"{self.controls.lr.value() * 0.1:.3g}")})

    def _edit_live(self, **changes: dict) -> None:
        """Change live settings as if the user had: the controls show it, the engine applies it."""
        config = self.controls.config().with_changes(**changes)
        self.controls.set_config(config)
        self._on_edited(config)

    def _on_edited(self, config: Config) -> None:
        if self.session.config is None:
            return
        for change in cmd.live_changes(self.session.config, config):
            self.session.send(change)

    def _update_transport(self) -> None:
        mode = self.session.mode
        running = mode == "running"
        ready = self.session.alive and mode != "loading"
        self.start_action.setText("Pause" if running else "Start")
        self.start_action.setEnabled(ready)
        self.space_while_not_ready.setEnabled(not ready)  # never both: Qt fires neither of two at once
        self.step_action.setEnabled(ready)
        self.save_action.setEnabled(ready)
        self.open_action.setEnabled(ready)
        self.recent_menu.setEnabled(ready)

    # ------------------------------------------------------------------ files
    def _ask_save_path(self, title: str, default_name: str, file_filter: str) -> str | None:
        """A save dialog in the last folder used; remembers the folder chosen."""
        default = os.path.join(self._last_dir(), default_name)
        path, _ = QFileDialog.getSaveFileName(self, title, default, file_filter)
        if not path:
            return None
        if not Path(path).suffix:
            path += Path(default_name).suffix
            # The dialog asked about the name typed, not this one.
            replace = f"{Path(path).name} already exists. Replace it?"
            if Path(path).exists() and QMessageBox.question(self, title, replace) != QMessageBox.StandardButton.Yes:
                return None
        self._remember_dir(path)
        return path

    def _file_stem(self) -> str:
        """What a saved file is named after by default: the data and the layers, "digits-64-256-10",
        so that a second save does not offer the first one's name."""
        s = self.session
        if s.config is None or not s.sizes:
            return "mlp-lab"
        return f"{s.config.data.name}-{'-'.join(str(n) for n in s.sizes)}"

    def save_checkpoint(self) -> str | None:
        """Asks where, then saves in the background: the path, or None if the user cancelled."""
        s = self.session
        where = f"epoch{s.epoch}" if s.epoch_fraction == 0 else f"step{s.step}"  # a file saved mid-epoch
        path = self._ask_save_path("Save checkpoint", f"{self._file_stem()}-{where}.pt", CHECKPOINT_FILTER)
        if path:
            self.session.send(cmd.Save(path))
        return path

    def open_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self._last_dir(), CHECKPOINT_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Open `path`, unless the user keeps the unsaved training, or after it is saved."""
        self._remember_dir(path)

        def load() -> None:
            self.session.send(cmd.Load(path))

        if self._settle_unsaved(f"opening {Path(path).name}", load):
            load()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event.mimeData()) and self.open_action.isEnabled():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event.mimeData())
        if path and self.open_action.isEnabled():
            event.acceptProposedAction()
            self.open_path(path)

    def export_png(self) -> None:
        path = self._ask_save_path("Export curves as PNG", f"{self._file_stem()}-curves.png", "PNG images (*.png)")
        if not path:
            return
        image = sharp_picture(self.curves.graphics)
        self.jobs.run(f"Exported {path}", lambda: save_bytes(path, png_bytes(image)))

    def export_csv(self) -> None:
        path = self._ask_save_path("Export curves as CSV", f"{self._file_stem()}-curves.csv", "CSV files (*.csv)")
        if path:
            text = history_csv(self.session.history)
            self.jobs.run(f"Exported {path}", lambda: save_bytes(path, text.encode("utf-8")))

    def export_code(self) -> None:
        config = self.session.config
        if config is None:
            return
        path = self._ask_save_path("Export as PyTorch code", "mlp_lab_model.py", "Python scripts (*.py)")
        if path:
            self.jobs.run(f"Exported {path}: run it with python3", lambda: write_pytorch_script(config, path))

    def _on_job_finished(self, description: str, error: str) -> None:
        if error:
            self.warn("Export failed", error)
        else:
            self.say(description, 8000)

    # ------------------------------------------------------------------ session events
    def _on_saved(self, path: str) -> None:
        self.recent.add(path)
        self.say(f"Saved {path}", 8000)
        self._update_status()  # the title's "*" goes
        if self._once_saved and self._once_saved[0] == path:
            _, then = self._once_saved
            self._once_saved = None
            then()

    def _on_loaded(self, path: str, kind: str) -> None:
        self.recent.add(path)
        self.say(f"Opened {path} ({CHECKPOINT_KINDS[kind]})", 8000)

    def _on_started(self) -> None:
        config = self.session.config
        assert config is not None
        self.download_bar.hide()  # a download cancelled by another dataset's Reset: its bar stayed
        self.controls.set_config(config)
        self.controls.set_active(config)
        self.histograms.set_layers(self.session.layer_names)
        self.curves.set_classes(None if config.data.name in REGRESSION_SETS else self.session.sizes[-1])
        self.network.set_points(self.session.points)
        self.network.image_shape = self.session.image_shape
        self.network.features = self.session.features
        sizes = "-".join(str(n) for n in self.session.sizes)
        self.setWindowTitle(f"MLP Lab — {config.data.name} {sizes}[*]")  # "*" while training is not saved
        self._end_step_axes()
        self.redraw()

    def _show_layer(self, index: int) -> None:
        self.histograms.select_layer(index)
        self.bring_forward("histograms")

    def _on_mode(self, mode: str, reason: str) -> None:
        if self.session.config is not None:
            self.controls.set_active(self.session.config)
            self.curves.label_baselines(self.session.config)
            self._end_step_axes()
        if mode == "finished" and reason:  # the news of the run's end; an opened file's is its own
            self.say(reason, 10000)
        # While the worker loads the data and builds the model (seconds at first: torch and
        # scikit-learn import in it), the bar moves to say so; the epoch's progress comes back after.
        self.epoch_progress.setRange(0, 0 if mode == "loading" else 1000)
        self._update_transport()

    def _on_diverged(self, event: Diverged) -> None:
        self.banner.show_divergence(event)
        self._update_transport()

    def _on_command_failed(self, command: str, reason: str) -> None:
        if command == "Save":
            self._once_saved = None  # what was to follow waits for training that could be saved
        self.download_bar.hide()  # a Reset whose data failed to download: its bar stayed at the last share
        title = FAILURE_TITLES.get(command, "Setting refused")
        self.warn(title, reason)
        if self.session.config is not None and command not in FAILURE_TITLES:
            self.controls.set_config(self.session.config)  # show what is really in force

    def _on_failed(self, reason: str) -> None:
        self.download_bar.hide()
        self._update_status()
        # Its data, most often; or its model, too large for the machine (--hidden 1000000000).
        self.warn("Could not start", f"{reason}\n\nChoose another dataset or other settings, and press Reset.")
        self._update_transport()
        self.reset_action.setEnabled(True)

    def _on_download(self, name: str, done: int, total: int) -> None:
        self.download_bar.show()
        self.download_bar.setRange(0, total if total > 0 else 0)
        self.download_bar.setValue(min(done, total) if total > 0 else 0)
        self.download_bar.setFormat(f"downloading {name} %p%")
        if total and done >= total:
            self.download_bar.hide()

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        """Refresh the status bar and every visible panel now."""
        self._update_status()
        self.refresh_queue.all_now()

    def _on_tick(self) -> None:
        """The session's news: the status bar now, the panels on screen in turns."""
        self._update_status()
        self.refresh_queue.tick()

    def _end_step_axes(self) -> None:
        """The plots over steps keep room to grow up to the run's end, no further: where it ends
        changes with a new model and with the epochs (a live setting), not at every tick."""
        for plot in (*self.curves.step_plots, *self.histograms.step_plots, *self.gradient_flow.step_plots):
            plot.vb.set_end(0, self.session.last_step)

    def _fit_if_stopped(self, panel: QWidget) -> None:
        """While training runs, plots keep room to grow; once it stops they fit their data."""
        if self.session.mode != "running":
            fit_steady_views(panel)

    def _panel_refreshes(self) -> list[tuple[QWidget, Refresh]]:
        """Each panel and how to redraw it from the session."""
        s = self.session
        config = s.config
        refreshes: list[tuple[QWidget, Refresh]] = [
            (self.curves, lambda one: self.curves.refresh(s.history, one_plot=one)),
            (self.histograms, lambda one: self.histograms.refresh(s.snapshots, one_plot=one)),
            (self.network, lambda _: self.network.refresh(s.snapshot, s.layer_names, force=s.mode != "running")),
            (self.predictions, lambda _: self.predictions.refresh(s.predictions)),
        ]
        if config is not None:
            activation = config.model.activation
            refreshes += [
                (self.gradient_flow, lambda _: self.gradient_flow.refresh(s.snapshots, activation, s.snapshot, s.history.changes)),
                (self.activation, lambda _: self.activation.refresh(activation, s.snapshot, self.histograms.layer.currentIndex())),
            ]
        return refreshes

    def _update_status(self) -> None:
        s = self.session
        self.state_label.setText(MODE_WORDS.get(s.mode, s.mode))
        if s.config is not None:
            epoch, step, fraction = s.epoch, s.step, s.epoch_fraction
            self.position_label.setText(f"epochs done {epoch}/{s.config.train.epochs} · step {step}")
            if epoch >= s.config.train.epochs:  # a full bar, not "epoch 10: 0%" of an epoch that will not run
                self.epoch_progress.setValue(1000)
                self.epoch_progress.setFormat(finished_text(epoch))
            else:
                self.epoch_progress.setValue(round(fraction * 1000))
                self.epoch_progress.setFormat(f"epoch {epoch + 1}: {fraction:.0%}")
            self.device_label.setText(f"device {s.device_name}")
        self.speed_label.setText(f"{s.samples_per_s:,.0f} samples/s" if s.samples_per_s else "")
        self.setWindowModified(self.unsaved.steps() > 0)

    def event(self, event: QEvent) -> bool:
        """The docks' tab bars keep their names whole and scroll when short of room: Qt makes
        them (as docks are tabbed, or a saved layout returns) eliding, and on a 1024-pixel screen
        the network column's three read "N...", "Ac...", "Products of r..."."""
        if event.type() == QEvent.Type.ChildPolished and isinstance(event.child(), QTabBar):
            event.child().setElideMode(Qt.TextElideMode.ElideNone)
            event.child().setUsesScrollButtons(True)
        return super().event(event)

    # ------------------------------------------------------------------ closing
    def close_without_asking(self) -> None:
        """Ctrl+C in the terminal: close at once, as asked, whatever is not saved."""
        self._asked_to_close = True
        self.close()

    def _settle_unsaved(self, doing: str, then: Callable[[], None]) -> bool:
        """Before `doing` (closing, opening a file) loses training not yet saved, ask: True when
        it may go ahead now; after Save, `then` does it once the checkpoint is written."""
        answer = self.unsaved.answer(self, doing)
        if answer == QMessageBox.StandardButton.Save:
            path = self.save_checkpoint()
            if path:
                self._once_saved = (path, then)
                self.say(f"{doing} once the checkpoint is saved…", 0)
            return False
        return answer == QMessageBox.StandardButton.Discard

    def _may_close(self) -> bool:
        """Whether to close now: yes unless the user keeps the window open, or chose to save
        first, in which case the window closes once the checkpoint is written (`_on_saved`)."""
        if self._asked_to_close:
            return True
        if self._once_saved and self.session.alive:  # a worker gone meanwhile has nothing left to save
            self._once_saved = (self._once_saved[0], self.close_without_asking)  # close, not what was to follow
            self.say("Closing once the checkpoint is saved…", 0)
            return False
        return self._settle_unsaved("closing", self.close_without_asking)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close():
            event.ignore()
            return
        self._save_settings()
        self.session.shutdown()
        self.comparison.stop()
        self.jobs.wait()
        self.recent.wait()
        event.accept()
