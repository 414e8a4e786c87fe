"""The benchmark is a script, not a timed test; this only checks that it runs to its table on a
small made-up set (the window's runs had waited forever on the unsaved-training question)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_writes_its_table(tmp_path):
    out = tmp_path / "results.md"
    args = ["--epochs", "1", "--repeats", "1", "--window-runs", "1", "--memory-epochs", "1", "--made-up", "1024", "--out", str(out)]
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), *args], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    table = [line for line in out.read_text().splitlines() if line.startswith("| ") and not line.startswith("| contender")]
    names = [line.split(" | ")[0].removeprefix("| ") for line in table]
    assert names == [
        "bare PyTorch loop (reference)",
        "d2l pipeline (DataLoader + ToTensor per image)",
        "bare loop reading its loss back each step, before the update (the engine's one wait a step)",
        "engine headless, default probes (every 25 steps)",
        "engine headless, probes on every step",
        "engine in the window's worker, default layout (curves, histograms, network)",
    ]
    assert "made up, 1,024 training images" in out.read_text() and "worst stall of each of 1 runs" in out.read_text()
