"""Start the window: pick the first configuration, build the session and the main window."""

from __future__ import annotations

import argparse
import gc
import signal
import sys

import pyqtgraph as pg
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QSplashScreen

from engine import commands as cmd
from engine.cli import config_from_args, given_options
from engine.config import Config, on_dataset
from engine.data import is_cached
from engine.errors import ConfigError
from gui.main_window import MainWindow, remembered_config
from gui.session import Session

IMAGE_SETS = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}
# The worker thread's Python holds the GIL up to the switch interval (5 ms by default) before
# the GUI thread gets it, and drawing a plot takes the GIL many times: 1 ms cut the window's
# worst stall by a third and sped training up in the window (benchmarks/results.md).
GIL_SWITCH_INTERVAL_S = 0.001


def initial_config(args: argparse.Namespace, remembered: Config | None) -> tuple[Config, str]:
    """The options given on the command line over the last session's settings (or d2l's
    defaults). An image set that is not on disk gives way to the offline digits set, unless
    the user asked for it by name: then it downloads, with a progress bar."""
    base = remembered or Config()
    note = ""
    if args.dataset is None and base.data.name in IMAGE_SETS and not is_cached(base.data.name, args.data_dir or base.data.data_dir):
        # Short enough to read whole beside the status bar's labels on a 1024-pixel screen.
        note = f"{IMAGE_SETS[base.data.name]} is not downloaded yet: opened on digits. To get it, choose it and press Reset."
        base = on_dataset(base, "digits")
    try:
        return config_from_args(args, base), note
    except ConfigError:  # remembered settings that clash with the options: the options win
        return config_from_args(args, Config()), note


def start_session(session: Session, config: Config, args: argparse.Namespace) -> None:
    """The first model; with --load, the file, with the settings the command line named over its
    own, as in a headless run (`--load run.pt --lr 0.01` trains on at 0.01; `--hidden` is refused)."""
    session.open(config, start=args.start)
    if args.load:
        session.send(cmd.Load(args.load, given_options(args)))


def make_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MLP Lab")
    app.setOrganizationName("mlp-lab")
    pg.setConfigOptions(antialias=False, background="w", foreground="#333")
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    # The ~400,000 objects made by importing torch, numpy and Qt are never garbage, yet each full
    # collection walked them all while holding the GIL: up to 350 ms with the window frozen.
    gc.freeze()
    return app  # type: ignore[return-value]


def run(args: argparse.Namespace, argv: list[str] | None = None, splash: QSplashScreen | None = None) -> int:
    app = make_application()
    settings = QSettings()
    config, note = initial_config(args, remembered_config(settings))
    session = Session()
    window = MainWindow(session, settings, config, note)
    window.show()
    if splash is not None:
        splash.finish(window)
    start_session(session, config, args)
    # Ctrl+C in the terminal closes the window properly: Python sees signals only between
    # Qt events, so a timer gives it a chance now and then.
    signal.signal(signal.SIGINT, lambda *_: window.close_without_asking())
    heartbeat = QTimer(interval=200)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start()
    return app.exec()
