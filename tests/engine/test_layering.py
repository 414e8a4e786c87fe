"""The engine is headless: importing all of it must not pull in Qt or the GUI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_imports_no_qt():
    modules = sorted(p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import engine.{m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'gui', 'shiboken6'))\n"
        + "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert len(modules) >= 8


def test_engine_source_never_mentions_qt():
    for path in (ROOT / "engine").glob("*.py"):
        text = path.read_text()
        for name in ("PySide6", "pyqtgraph", "from gui", "import gui"):
            assert name not in text, f"{path.name} mentions {name}"
