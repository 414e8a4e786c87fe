"""'Export as PyTorch code': the script runs on its own and trains the app's model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import Config
from engine.export import write_pytorch_script
from engine.trainer import Trainer
from tests.idx_files import write_idx_set

ROOT = Path(__file__).resolve().parents[2]


def app_and_script(config: Config, tmp_path: Path) -> tuple[list, list[dict]]:
    """The app's epoch reports and the exported script's JSON lines, for one config."""
    trainer = Trainer(config)
    for _ in trainer.run():
        pass
    script = tmp_path / "exported.py"
    write_pytorch_script(config, script)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the synthetic sets come from MLP Lab's generator
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return trainer.history.epochs[1:], [json.loads(line) for line in result.stdout.splitlines()]


def assert_same_run(app: list, script: list[dict]) -> None:
    assert len(script) == len(app)
    for a, s in zip(app, script):
        assert s["train_loss"] == pytest.approx(a.train_loss, rel=1e-5)
        assert s["test_loss"] == pytest.approx(a.test_loss, rel=1e-5)
        if a.test_acc is None:
            assert s["test_acc"] is None
        else:
            assert s["test_acc"] == pytest.approx(a.test_acc, abs=1e-6)


def test_exported_digits_script_reaches_the_apps_losses(tmp_path):
    config = Config().with_changes(
        data={"name": "digits"},
        model={"hidden": (32,)},
        train={"lr": 0.5, "momentum": 0.5, "weight_decay": 1e-3, "batch_size": 32, "epochs": 3},
    )
    app, script = app_and_script(config, tmp_path)
    assert_same_run(app, script)
    assert script[-1]["test_acc"] > 0.7


def test_exported_toy_script_with_adam_l1_clipping_and_he_init(tmp_path):
    config = Config().with_changes(
        data={"name": "circle"},
        model={"hidden": (8, 8), "activation": "tanh", "init": "he", "init_scale": 1.0},
        train={"optimizer": "adam", "lr": 0.01, "l1": 1e-4, "clip_grad": 1.0, "batch_size": 16, "epochs": 2},
    )
    assert_same_run(*app_and_script(config, tmp_path))


def test_exported_plane_script_feeds_the_chosen_features(tmp_path):
    config = Config().with_changes(data={"name": "xor", "features": ("x1", "x1*x2")}, model={"hidden": ()}, train={"batch_size": 10, "epochs": 2})
    assert_same_run(*app_and_script(config, tmp_path))


def test_exported_batch_norm_script_leaves_out_a_last_batch_of_one_as_the_app_does(tmp_path):
    """Digits' 1,347 training images in batches of 2: the script's last batch of one sample
    ended it with torch's ValueError."""
    config = Config().with_changes(data={"name": "digits"}, model={"hidden": (16,), "batch_norm": True}, train={"batch_size": 2, "epochs": 1})
    assert_same_run(*app_and_script(config, tmp_path))


def test_exported_regression_script_with_constant_init(tmp_path):
    config = Config().with_changes(
        data={"name": "polynomial", "poly_degree": 4},
        model={"hidden": (), "init": "constant", "init_scale": 0.01},
        train={"lr": 0.01, "batch_size": 10, "epochs": 3},
    )
    assert_same_run(*app_and_script(config, tmp_path))


def test_exported_fashion_script_reads_torchvisions_layout(tmp_path):
    write_idx_set(tmp_path / "data" / "FashionMNIST" / "raw", gz=False)
    config = Config().with_changes(
        data={"data_dir": str(tmp_path / "data")}, model={"hidden": (16,), "init": "xavier", "init_scale": 1.0}, train={"epochs": 2, "batch_size": 32}
    )
    assert_same_run(*app_and_script(config, tmp_path))


def test_with_dropout_the_script_lands_near_the_apps_loss(tmp_path):
    """nn.Dropout draws its masks from torch's global generator, not the app's: close, not equal."""
    config = Config().with_changes(
        data={"name": "digits"}, model={"hidden": (64,), "dropout": 0.5}, train={"lr": 0.2, "batch_size": 32, "epochs": 8}
    )
    app, script = app_and_script(config, tmp_path)
    assert script[-1]["train_loss"] == pytest.approx(app[-1].train_loss, rel=0.15)
    assert script[-1]["train_loss"] < 0.7 * script[0]["train_loss"]
