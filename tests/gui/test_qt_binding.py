"""Guards against a Qt binding that would crash the app after a few minutes of training.

PySide6 6.12.0's Signal.emit() drops a reference to the bool it returns: the
worker and the session emit about 60 signals a second, so the interpreter
aborts ("deallocating True or False") once the count runs out. pyproject.toml
excludes that release; this test fails loudly should such a binding be installed.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    carried = Signal(object)
    bare = Signal()


def test_emitting_signals_keeps_reference_counts():
    emitter = Emitter()
    emitter.carried.connect(lambda value: None)
    emitter.bare.connect(lambda: None)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for _ in range(200):  # few enough that a leaking binding cannot reach zero and abort
        emitter.carried.emit([1, 2])
        emitter.bare.emit()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    drift = [a - b for a, b in zip(after, before)]
    assert all(abs(d) < 50 for d in drift), f"reference counts of True, False, None drifted by {drift}"
