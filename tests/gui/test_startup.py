"""Launching the window: something shows within a second or two, before torch's slow import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gui.app import make_application
from gui.splash import MESSAGE, show_splash

ROOT = Path(__file__).parents[2]


def run_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def test_main_shows_the_splash_before_anything_imports_torch():
    code = """
import sys, types
import gui.splash
seen = []
gui.splash.show_splash = lambda: seen.append("torch" in sys.modules)
window = types.ModuleType("gui.app")
window.run = lambda args, argv, splash: 0  # stands in for the window's modules, which import torch
sys.modules["gui.app"] = window
import main
main.main(["--dataset", "digits"])
print(seen)
"""
    assert run_python(code) == "[False]"


def test_the_splash_says_what_it_waits_for(qtbot):
    make_application()
    splash = show_splash()
    qtbot.addWidget(splash)
    assert splash.isVisible() and splash.message() == MESSAGE
