"""The headless command line is a contract: these tests run main.py as a user would."""

import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import data as data_module
from engine import headless
from engine.cli import parse_config
from engine.config import Config
from engine.trainer import Trainer
from tests.idx_files import write_idx_set

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds", "samples_per_s", "grad_norm", "weight_norm", "diverged"}


def run_cli(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", *args], capture_output=True, text=True, env=env, timeout=300)


def lines(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_lines_per_epoch():
    result = run_cli("--dataset", "digits", "--hidden", "32", "--epochs", "3", "--batch-size", "32", "--lr", "0.5")
    assert result.returncode == 0, result.stderr
    records = lines(result)
    assert [r["epoch"] for r in records] == [0, 1, 2, 3]
    for r in records:
        assert KEYS <= set(r)
        assert len(r["grad_norm"]) == len(r["weight_norm"]) == 2
        assert r["diverged"] is False
    assert records[0]["seconds"] == 0 and records[0]["grad_norm"][0] > 0  # one batch, no update
    assert all(r["seconds"] > 0 and r["samples_per_s"] > 0 for r in records[1:])
    assert records[-1]["test_acc"] > records[0]["test_acc"]
    assert "epoch 3/3" in result.stderr  # progress goes to stderr, stdout stays pure JSON


def test_epochs_zero_only_evaluates():
    records = lines(run_cli("--dataset", "digits", "--epochs", "0"))
    assert len(records) == 1 and records[0]["epoch"] == 0


def test_regression_accuracy_is_null():
    records = lines(run_cli("--dataset", "polynomial", "--poly-degree", "4", "--hidden", "", "--lr", "0.01", "--batch-size", "10", "--epochs", "2"))
    assert all(r["train_acc"] is None and r["test_acc"] is None for r in records)
    assert len(records[0]["grad_norm"]) == 1


def test_data_dir_with_idx_files(tmp_path):
    write_idx_set(tmp_path / "FashionMNIST" / "raw")
    result = run_cli("--dataset", "fashion-mnist", "--data-dir", str(tmp_path), "--epochs", "1", "--batch-size", "32", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    records = lines(result)
    assert records[0]["weight_norm"] and len(records[0]["grad_norm"]) == 2  # 784-256-10 by default


def test_missing_data_is_one_error_line(tmp_path):
    result = run_cli("--dataset", "mnist", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert result.stdout == ""
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "train-images-idx3-ubyte" in err[0]
    assert "Traceback" not in result.stderr


def test_wrong_magic_number_is_one_error_line(tmp_path):
    write_idx_set(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x12\x34\x56\x78" + b"\x00" * 20)
    result = run_cli("--dataset", "fashion-mnist", "--data-dir", str(tmp_path), cache=tmp_path / "cache")
    assert result.returncode == 1 and result.stderr.startswith("error:") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--lr", "0"], ["--lr", "abc"], ["--dataset", "circle", "--samples", "1000000000000"], ["--dataset", "circle", "--seed", "-5"], ["--seed", "99999999999999999999999"], ["--lr", "1e39"], ["--dropout", "1.0"], ["--batch-size", "0"], ["--hidden", "64,x"], ["--dataset", "cifar"], ["--epochs", "-1"], ["--features", "x1,x3"], ["--features", "x1,x1"], ["--features", ""]],
)
def test_bad_arguments_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_a_network_too_large_for_the_machine_is_one_error_line():
    result = run_cli("--dataset", "digits", "--hidden", "1000000000")
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.strip().startswith("error: 64-1000000000-10 has 75,000,000,010 parameters"), result.stderr


def test_ctrl_c_stops_between_two_steps_and_saves_what_was_trained(tmp_path):
    """Ctrl+C ended a run in a KeyboardInterrupt's traceback, in the middle of an update, and
    --save saved nothing: the training was lost."""
    path = tmp_path / "run.pt"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, str(ROOT / "main.py"), "--headless", "--dataset", "digits", "--hidden", "16", "--epochs", "100000", "--save", str(path)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    while json.loads(process.stdout.readline())["epoch"] < 2:  # training well under way
        pass
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err, err
    said = re.search(r"interrupted at step (\d+), (in epoch \d+ after \d+ of its 43 batches|after epoch \d+)\n", err)
    assert said and err.rstrip().endswith(f"saved {path}"), err
    saved = Trainer(Config(), checkpoint=str(path))
    assert saved.state.step == int(said.group(1)) >= 2 * 43, "the steps trained, saved"


def test_a_reader_that_goes_away_stops_the_run_quietly():
    """`main.py --headless ... | head -1`: the next line's write ended in a BrokenPipeError's traceback."""
    args = [sys.executable, str(ROOT / "main.py"), "--headless", "--dataset", "digits", "--hidden", "16", "--epochs", "100000"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert json.loads(process.stdout.readline())["epoch"] == 0
    process.stdout.close()  # as head does after its line
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141 and "Traceback" not in err and "Exception ignored" not in err, err
    assert re.search(r"stopped at step \d+, after epoch 1: nothing reads the output any more\n$", err), err


def test_save_then_load_continues(tmp_path):
    ckpt = tmp_path / "run.pt"
    first = lines(run_cli("--dataset", "digits", "--hidden", "32", "--epochs", "2", "--save", str(ckpt)))
    assert ckpt.is_file()
    # No --dataset: the checkpoint brings its own (the default, Fashion-MNIST, is not in this empty cache).
    evaluated = lines(run_cli("--load", str(ckpt), "--epochs", "0", cache=tmp_path / "cache"))
    assert evaluated[0]["epoch"] == 0
    assert evaluated[0]["test_loss"] == pytest.approx(first[-1]["test_loss"], rel=1e-6)
    assert evaluated[0]["test_acc"] == first[-1]["test_acc"]
    continued = lines(run_cli("--load", str(ckpt), "--epochs", "2", cache=tmp_path / "cache"))
    assert [r["epoch"] for r in continued] == [0, 3, 4]


def test_options_given_with_a_checkpoint_apply_or_are_refused(tmp_path):
    """`--load run.pt --lr 0.25` trained on at the checkpoint's own rate: the option was
    silently left out. Live settings now apply; one that needs a new model is an error."""
    ckpt, after = tmp_path / "run.pt", tmp_path / "after.pt"
    assert run_cli("--dataset", "digits", "--hidden", "16", "--epochs", "1", "--save", str(ckpt)).returncode == 0
    tuned = run_cli("--load", str(ckpt), "--lr", "0.25", "--dropout", "0.2", "--probe-every", "5", "--epochs", "0", "--save", str(after), cache=tmp_path / "cache")
    assert tuned.returncode == 0, tuned.stderr
    saved = torch.load(after, weights_only=True)["config"]
    assert (saved["train"]["lr"], saved["model"]["dropout"], saved["probes"]["every"], saved["model"]["hidden"]) == (0.25, 0.2, 5, [16])
    refused = run_cli("--load", str(ckpt), "--hidden", "64", "--batch-size", "8", cache=tmp_path / "cache")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("error: with --load") and "--hidden, --batch-size cannot apply" in refused.stderr


def test_a_checkpoint_opens_without_loading_the_command_lines_dataset(tmp_path, monkeypatch):
    """Offline, the default Fashion-MNIST cannot be had: it was loaded (and downloaded) before
    the checkpoint was read, so a digits checkpoint could not be opened from the command line."""
    ckpt = tmp_path / "digits.pt"
    Trainer(Config().with_changes(data={"name": "digits"}, model={"hidden": (16,)}, train={"epochs": 1})).save(str(ckpt))

    def no_download(name, *_):
        raise AssertionError(f"{name} was downloaded, though the checkpoint trains on digits")

    monkeypatch.setattr(data_module, "download_idx_set", no_download)
    out, err = io.StringIO(), io.StringIO()
    fashion = Config().with_changes(data={"data_dir": str(tmp_path / "empty")}, train={"epochs": 1})
    assert headless.run(fashion, load=str(ckpt), out=out, err=err) == 0, err.getvalue()
    assert [json.loads(line)["epoch"] for line in out.getvalue().splitlines()] == [0, 1]


def test_a_place_that_cannot_be_saved_to_is_refused_before_training(tmp_path):
    """Not after an hour of training: the error comes first, and nothing trains."""
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli("--dataset", "digits", "--epochs", "50", "--save", str(tmp_path / "a-file" / "run.pt"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: cannot save to") and f"{tmp_path / 'a-file'} is a file, not a folder" in result.stderr
    fine = run_cli("--dataset", "digits", "--epochs", "0", "--save", str(tmp_path / "new" / "run.pt"))
    assert fine.returncode == 0 and (tmp_path / "new" / "run.pt").is_file()
    assert os.listdir(tmp_path / "new") == ["run.pt"], "the check leaves no file behind"


@pytest.mark.parametrize("content", [b"not a checkpoint at all", pickle.dumps({"a": [1, 2]}, protocol=4)], ids=["garbage", "plain pickle"])
def test_bad_checkpoint_is_one_error_line(tmp_path, content):
    """One line: torch's warning about a plain pickle's protocol came before it on stderr."""
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    result = run_cli("--dataset", "digits", "--load", str(bad))
    err = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(err) == 1 and err[0].startswith("error:"), result.stderr


def test_divergence_is_reported_not_crashed():
    # A deep linear net with unit-std weights: logits overflow to inf within a few steps.
    result = run_cli(
        "--dataset", "digits", "--hidden", "64,64,64,64", "--activation", "identity",
        "--init", "normal", "--init-scale", "1", "--lr", "10", "--epochs", "3",
    )
    assert result.returncode == 0, result.stderr
    last = lines(result)[-1]
    assert last["diverged"] is True and "diverged" in result.stderr
    assert "message" in last and "learning rate" in last["message"]
    assert last["epoch"] == 1, "training must stop advancing at the first divergence"


@pytest.mark.parametrize("activation,init,check", [("sigmoid", "xavier", lambda r: r < 1e-3), ("relu", "he", lambda r: r > 5e-2)])
def test_gradient_ratio_from_the_command_line(activation, init, check):
    """Issue 5's headline numbers, as the README shows them."""
    records = lines(run_cli("--dataset", "digits", "--hidden", ",".join(["128"] * 8), "--epochs", "0", "--activation", activation, "--init", init))
    grads = records[0]["grad_norm"]
    assert len(grads) == 9 and check(grads[0] / grads[-1])


def test_a_dataset_brings_the_training_that_suits_it_but_for_the_options_given():
    """Headless runs kept d2l's batch of 256, 10 epochs, on every set: the line's 20 points in one
    step an epoch, digits' 1,347 images in 6, where the window brings each set its own."""
    _, line = parse_config(["--dataset", "line"])
    assert (line.train.batch_size, line.train.epochs, line.train.lr) == (5, 200, 0.1)
    suited = lines(run_cli("--dataset", "digits", "--hidden", "16", "--epochs", "1"))
    assert [r["step"] for r in suited] == [0, 43], "digits in batches of 32"
    given = lines(run_cli("--dataset", "digits", "--hidden", "16", "--epochs", "1", "--batch-size", "256"))
    assert [r["step"] for r in given] == [0, 6], "256 given, though it is the default"


def test_features_given_in_any_order_take_the_order_of_the_windows_check_boxes():
    """The controls list the features in one order: a configuration in another showed a Reset
    pending there though nothing had changed."""
    _, config = parse_config(["--dataset", "xor", "--features", "x1*x2, x2^2,x1"])
    assert config.data.features == ("x1", "x2^2", "x1*x2")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "digits", "--noise", "0.3"], "--noise applies only to circle, xor, gauss and spiral, not to digits"),
        (["--dataset", "line", "--poly-degree", "3"], "--poly-degree applies only to polynomial, not to line"),
        (["--dataset", "digits", "--data-dir", "/tmp"], "--data-dir applies only to fashion-mnist and mnist, not to digits"),
        (["--headless", "--samples", "40"], "--samples applies only to circle, xor, gauss and spiral, not to fashion-mnist"),
    ],
)
def test_a_data_option_its_set_does_not_read_is_refused(args, message, capsys):
    """`--dataset digits --noise 0.3` trained digits as if the noise had been heard."""
    with pytest.raises(SystemExit) as exited:
        parse_config(args)
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_data_options_apply_to_the_sets_that_read_them():
    _, spiral = parse_config(["--dataset", "spiral", "--noise", "0.3", "--samples", "40", "--train-ratio", "0.3", "--features", "x1"])
    assert (spiral.data.noise, spiral.data.samples, spiral.data.train_ratio, spiral.data.features) == (0.3, 40, 0.3, ("x1",))
    _, window = parse_config(["--noise", "0.3"])  # the window's set is its last session's: the options go over it
    assert window.data.noise == 0.3
