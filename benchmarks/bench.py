"""MLP Lab against a bare PyTorch loop, side by side in one process.

    python benchmarks/bench.py [--epochs 2] [--device cpu|cuda] [--data-dir DIR] [--out FILE]

Fashion-MNIST-shaped data (60,000 x 784, 784-256-10, batch 256, SGD lr 0.1): the
real files when --data-dir holds them, else made-up IDX files written to a
temporary folder and read by the real loader. Each contender trains the same
number of epochs; the table gives samples per second and the ratio of each
time to the bare loop's. A script, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.config import Config  # noqa: E402
from engine.data import Dataset, is_cached, load_dataset  # noqa: E402
from engine.stats import EpochReport  # noqa: E402
from engine.trainer import Trainer  # noqa: E402


def d2l_config(data_dir: str, device: str, epochs: int, probe_every: int = 25) -> Config:
    return Config().with_changes(
        data={"name": "fashion-mnist", "data_dir": data_dir},
        train={"device": device, "epochs": epochs},
        probes={"every": probe_every},
    )


# ----------------------------------------------------------------------------- contenders
def bare_loop(data: Dataset, device: torch.device, epochs: int, read_loss: bool = False) -> float:
    """The reference: preloaded tensors, index batches, nn.Sequential, SGD. Returns seconds.
    With `read_loss` it reads each step's loss back before the update, as the engine does to
    catch divergence: free on the CPU, a wait for the device's queue to drain on a GPU."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data.x_train.to(device), data.y_train.to(device)
    sync(device)
    began = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), device=device)
        for i in range(0, len(x), 256):
            idx = order[i : i + 256]
            loss = loss_fn(net(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            if read_loss:
                loss.item()
            optimizer.step()
    sync(device)
    return time.perf_counter() - began


def d2l_pipeline(data: Dataset, device: torch.device, epochs: int) -> float:
    """d2l's load_data_fashion_mnist: a DataLoader over a dataset that makes each image a
    PIL image and applies ToTensor to it, one sample at a time."""
    from PIL import Image
    from torch.utils.data import DataLoader
    from torchvision import transforms

    images = (data.x_train.reshape(-1, 28, 28) * 255).round().to(torch.uint8).numpy()
    labels = data.y_train.numpy()
    to_tensor = transforms.ToTensor()

    class PerImage(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(images)

        def __getitem__(self, i: int):
            return to_tensor(Image.fromarray(images[i], mode="L")), int(labels[i])

    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(PerImage(), batch_size=256, shuffle=True, num_workers=0)
    began = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(net(xb.to(device)), yb.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    sync(device)
    return time.perf_counter() - began


def engine_headless(config: Config, data: Dataset) -> tuple[float, float]:
    """The engine's generator, driven as the command line drives it. Returns the wall time
    (the per-epoch test evaluation included) and the training steps' own time (probes included)."""
    trainer = Trainer(config, data=data)
    began = time.perf_counter()
    for event in trainer.run(start=True, stop_when_finished=True):
        if isinstance(event, EpochReport) and event.epoch == config.train.epochs:
            break
    sync(trainer.state.device)
    return time.perf_counter() - began, sum(e.seconds for e in trainer.history.epochs)


def engine_in_window(config: Config) -> tuple[float, float, list[float]]:
    """The engine in the window's worker thread, the window in its default layout (offscreen); returns the
    wall and training-step seconds and the GUI thread's timer delays (ms) measured meanwhile."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from gui.app import make_application
    from gui.main_window import MainWindow
    from gui.session import Session

    app = make_application()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    session = Session()
    window = MainWindow(session, settings, config)
    window.resize(1366, 768)
    window.show()
    loop = QEventLoop()
    session.started.connect(loop.quit)
    session.open(config, start=False)
    loop.exec()
    settle = QEventLoop()  # let the window finish its first full paint, as it has before a user clicks
    QTimer.singleShot(500, settle.quit)
    settle.exec()
    probe = StallProbe()
    finished = QEventLoop()
    session.mode_changed.connect(lambda mode, _: finished.quit() if mode in ("finished", "diverged") else None)
    began = time.perf_counter()
    probe.start()
    window.toggle_training()
    finished.exec()
    seconds = time.perf_counter() - began
    probe.stop()
    steps_seconds = sum(e.seconds for e in session.history.epochs)
    window.close_without_asking()  # no one answers "Save the trained model?" here: it waited forever
    app.processEvents()
    return seconds, steps_seconds, probe.delays_ms


class StallProbe:
    """A 10 ms timer on the GUI thread; each tick's lateness is how long the thread was busy."""

    INTERVAL_MS = 10

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.delays_ms: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.delays_ms.append(max(0.0, (now - self._last) * 1000 - self.INTERVAL_MS))
        self._last = now


def memory_over_epochs(epochs: int) -> tuple[int, float, float]:
    """RSS (MiB) early on and after `epochs` epochs of digits with every probe kept flowing: the
    step history is downsampled, so it must stay flat. Returns the early epoch (the 10th, or the
    last of a shorter run) and the two readings."""
    early_epoch = min(10, epochs)
    config = Config().with_changes(data={"name": "digits"}, train={"batch_size": 32, "epochs": epochs, "device": "cpu"})
    trainer = Trainer(config)
    early = 0.0
    for event in trainer.run(start=True, stop_when_finished=True):
        if isinstance(event, EpochReport) and event.epoch == early_epoch:
            early = rss_mib()
    return early_epoch, early, rss_mib()


# ----------------------------------------------------------------------------- helpers
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


Timing = tuple[float, float]  # wall seconds, training-step seconds


def in_rounds(repeats: int, contenders: dict[str, Callable[[], Timing]]) -> dict[str, list[Timing]]:
    """Every contender's timings over `repeats` rounds; in a round they run back to back
    (A B C, A B C, ...), so a slow spell of the machine falls on all of them alike."""
    timings: dict[str, list[Timing]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            timings[name].append(run())
            print(f"{name}: {timings[name][-1][0]:.2f} s", file=sys.stderr)
    return timings


def paired_ratio(times: list[float], reference: list[float]) -> float:
    """The median over rounds of time / the reference's time in the same round: this machine
    drifts by a third within minutes, far more than a contender's time varies within a round."""
    return statistics.median(t / r for t, r in zip(times, reference))


def both(seconds: float) -> Timing:
    """A contender that only trains: its wall time is its training time."""
    return seconds, seconds


def prepare_data(data_dir: str | None, made_up: int) -> str:
    if data_dir and is_cached("fashion-mnist", data_dir):
        return data_dir
    from tests.idx_files import write_idx_set

    folder = Path(tempfile.mkdtemp(prefix="mlp-lab-bench-"))
    write_idx_set(folder, n_train=made_up, n_test=made_up // 6, gz=False)
    return str(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15, help="rounds of the contenders taking turns (d2l's pipeline: once)")
    parser.add_argument("--window-runs", type=int, default=7, help="runs in the window, each with its own stall record")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--memory-epochs", type=int, default=100, help="at least 1; the early reading comes after 10 (or all of them)")
    parser.add_argument("--skip-gui", action="store_true")
    parser.add_argument(
        "--made-up", type=int, default=60000, help="training images of the made-up set (Fashion-MNIST's 60,000; a sixth as many test images)"
    )
    parser.add_argument("--out", default=None, help="default: benchmarks/results.md, or results-cuda.md with --device cuda")
    args = parser.parse_args(argv)
    if args.memory_epochs < 1:
        parser.error("--memory-epochs must be at least 1")
    out = Path(args.out or Path(__file__).resolve().parent / ("results.md" if args.device == "cpu" else f"results-{args.device}.md"))

    device = torch.device(args.device)
    data_dir = prepare_data(args.data_dir, args.made_up)
    config = d2l_config(data_dir, args.device, args.epochs)
    data = load_dataset(config.data)
    samples = len(data.x_train) * args.epochs
    every_step = d2l_config(data_dir, args.device, args.epochs, probe_every=1)
    bare = "bare PyTorch loop (reference)"
    rounds = in_rounds(
        args.repeats,
        {
            bare: lambda: both(bare_loop(data, device, args.epochs)),
            "bare loop reading its loss back each step, before the update (the engine's one wait a step)": lambda: both(
                bare_loop(data, device, args.epochs, read_loss=True)
            ),
            "engine headless, default probes (every 25 steps)": lambda: engine_headless(config, data),
            "engine headless, probes on every step": lambda: engine_headless(every_step, data),
        },
    )
    reference = [wall for wall, _ in rounds[bare]]  # the bare loop only trains: its wall time is its step time
    middle = statistics.median(reference)
    d2l = both(d2l_pipeline(data, device, args.epochs))  # ten times slower than the rest: once
    window_runs, window_reference = [], []  # each window run paired with a bare loop just before it
    threads = torch.get_num_threads()
    for _ in range(0 if args.skip_gui else args.window_runs):
        window_reference.append(bare_loop(data, device, args.epochs))
        window_runs.append(engine_in_window(config))
        torch.set_num_threads(threads)  # the worker left a core to the GUI; the next bare loop gets both back
    rows: list[tuple[str, float, float, float, float]] = []  # name, wall, its ratio, step time, its ratio
    for name, timings in rounds.items():
        walls, steps = [wall for wall, _ in timings], [step for _, step in timings]
        rows.append((name, statistics.median(walls), paired_ratio(walls, reference), statistics.median(steps), paired_ratio(steps, reference)))
        if name == bare:
            rows.append(("d2l pipeline (DataLoader + ToTensor per image)", d2l[0], d2l[0] / middle, d2l[1], d2l[1] / middle))
    if window_runs:
        walls, steps = [w for w, _, _ in window_runs], [s for _, s, _ in window_runs]
        rows.append(
            (
                "engine in the window's worker, default layout (curves, histograms, network)",
                statistics.median(walls),
                paired_ratio(walls, window_reference),
                statistics.median(steps),
                paired_ratio(steps, window_reference),
            )
        )
    early_epoch, early, late = memory_over_epochs(args.memory_epochs)

    gpu = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    lines = [
        "# MLP Lab benchmark",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, device {args.device}{gpu}; "
        f"Fashion-MNIST-shaped data ({'real files' if args.data_dir else f'made up, {args.made_up:,} training images'}), 784-256-10, batch 256, SGD lr 0.1, "
        f"{args.epochs} epochs; {args.repeats} rounds, the contenders back to back in each. Command: `{' '.join(['python benchmarks/bench.py', *(argv or sys.argv[1:])])}`",
        "",
        "Times are medians over the rounds; a ratio is the median of the rounds' own ratios to the bare loop",
        "(d2l's pipeline runs once: its ratio is to the bare loop's median; each run in the window follows a bare loop of its own).",
        "Wall time includes the engine's test-set evaluation after each epoch (the bare loop has none);",
        "step time is the engine's own `seconds`: its training steps, probes included.",
        "",
        "| contender | wall s | wall / bare loop | step s | steps / bare loop | samples/s (steps) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, wall, wall_ratio, steps, steps_ratio in rows:
        lines.append(f"| {name} | {wall:.2f} | {wall_ratio:.2f}x | {steps:.2f} | {steps_ratio:.2f}x | {samples / steps:,.0f} |")
    if window_runs:
        worst = [max(delays) for _, _, delays in window_runs]
        every = sorted(d for _, _, delays in window_runs for d in delays)
        lines += [
            "",
            f"GUI thread while training in the window (lateness of a 10 ms timer; goal: worst under 50 ms): "
            f"worst stall of each of {len(worst)} runs {', '.join(f'{w:.1f}' for w in worst)} ms (median {statistics.median(worst):.1f}); "
            f"over all {len(every)} ticks, 99th percentile {every[int(0.99 * (len(every) - 1))]:.1f} ms, median {statistics.median(every):.1f} ms.",
        ]
    lines += ["", f"Memory (RSS) on digits, batch 32: {early:.0f} MiB after {early_epoch} epochs, {late:.0f} MiB after {args.memory_epochs}."]
    text = "\n".join(lines) + "\n"
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
