"""Every setting at and beyond its limits: it works, or it is refused with a clear reason."""

from __future__ import annotations

import math

import pytest

import engine.model
from engine.config import Config
from engine.errors import ConfigError, DataError
from engine.stats import Diverged, EpochReport
from engine.trainer import Trainer


def run_one_epoch(config: Config) -> list[object]:
    trainer = Trainer(config)
    events = []
    for event in trainer.run(start=True, stop_when_finished=True):
        events.append(event)
        if isinstance(event, Diverged):
            break
    return events


def digits(**sections) -> Config:
    base = Config().with_changes(data={"name": "digits"}, model={"hidden": (16,)}, train={"batch_size": 64, "epochs": 1})
    return base.with_changes(**sections)


@pytest.mark.parametrize(
    "changes",
    [
        {"train": {"lr": 1e3}},  # trains or diverges, never crashes
        {"train": {"lr": 1e-12}},
        {"train": {"batch_size": 100_000}},  # larger than the dataset: one batch an epoch
        {"train": {"batch_size": 1}},
        {"model": {"hidden": ()}},  # softmax regression
        {"model": {"hidden": (1,) * 10}},  # ten layers of one unit
        {"model": {"dropout": 0.99}},
        {"model": {"init_scale": 1e3, "init": "normal"}},
        {"train": {"weight_decay": 100.0, "l1": 100.0}},
        {"train": {"clip_grad": 1e-9}},
    ],
)
def test_extreme_settings_train_or_report_divergence(changes):
    events = run_one_epoch(digits(**changes))
    finished = [e for e in events if isinstance(e, EpochReport)]
    diverged = [e for e in events if isinstance(e, Diverged)]
    assert finished or diverged
    for report in finished:
        assert math.isfinite(report.test_loss) or report.diverged


def test_one_batch_per_epoch_when_the_batch_is_larger_than_the_data():
    events = run_one_epoch(digits(train={"batch_size": 100_000}))
    report = next(e for e in events if isinstance(e, EpochReport) and e.epoch == 1)
    assert report.step == 1


@pytest.mark.parametrize(
    "changes,words",
    [
        ({"train": {"lr": 0.0}}, "learning rate"),
        ({"model": {"dropout": 1.0}}, "dropout"),
        ({"train": {"batch_size": 0}}, "batch size"),
        ({"model": {"hidden": (0,)}}, "hidden layer sizes"),
        ({"model": {"init_scale": -1.0}}, "init scale"),
        ({"data": {"noise": 0.9}}, "noise"),
        ({"data": {"name": "circle", "samples": 10**12}}, "samples must be at most 1,000,000"),  # numpy's MemoryError
        ({"train": {"lr": 1e39}}, "learning rate must be at most 1e6"),  # past float32: the optimizer raised
        ({"data": {"name": "circle"}, "train": {"seed": -5}}, "seed must be a whole number from 0 to 2,147,483,647"),  # numpy raised
        ({"model": {"activation": "swish"}}, "activation"),
        ({"model": {"batch_norm": True}, "train": {"batch_size": 1}}, "batch norm needs batches of at least 2"),
    ],
)
def test_invalid_settings_are_refused_by_name(changes, words):
    with pytest.raises(ConfigError, match=words):
        digits(**changes).validate()


def test_batch_norm_leaves_out_a_last_batch_of_one_sample_and_a_single_training_sample_is_refused():
    """Batch norm cannot normalise one sample: a last batch of one ended the training thread
    (digits' 1,347 training images in batches of 2), as did batch size 1 (now refused by name)."""
    config = digits(model={"batch_norm": True}, train={"batch_size": 2})
    trainer = Trainer(config)
    n = len(trainer.data.x_train)
    assert n % 2 == 1 and trainer.state.batches_per_epoch == n // 2
    report = next(e for e in trainer.run(start=True, stop_when_finished=True) if isinstance(e, EpochReport) and e.epoch == 1)
    assert report.step == n // 2 and math.isfinite(report.train_loss)
    assert Trainer(config.with_changes(model={"batch_norm": False})).state.batches_per_epoch == n // 2 + 1, "without it, every sample trains"
    assert Trainer(digits(model={"batch_norm": True, "hidden": ()}, train={"batch_size": 1})).state.batches_per_epoch == n, "no hidden layer: nothing to normalise"
    tiny = Config().with_changes(data={"name": "circle", "samples": 10, "train_ratio": 0.05}, model={"batch_norm": True})
    with pytest.raises(ConfigError, match="batch norm needs at least 2 training samples; circle has 1"):
        Trainer(tiny)


def test_a_network_too_large_for_the_machine_is_refused_in_words(monkeypatch):
    """A hidden layer of a billion units ended in a traceback from torch's allocator."""
    with pytest.raises(ConfigError, match=r"64-1000000000-10 has 75,000,000,010 parameters: training it needs about [\d,]+ GB of memory, more than the"):
        Trainer(digits(model={"hidden": (10**9,)}))
    monkeypatch.setattr(engine.model, "machine_memory", lambda device: 2**30)  # a machine of 1 GB
    three = Trainer(digits(model={"hidden": (4096,) * 3}))  # 34M parameters: about 0.68 GB to train
    assert three.model.layers[1].weight.shape == (4096, 4096)
    with pytest.raises(ConfigError, match="more than the 1 GB this machine has; choose fewer or smaller hidden layers"):
        Trainer(digits(model={"hidden": (4096,) * 5}))  # 67M: about 1.35 GB


def test_empty_data_folder_names_the_folder_and_the_files(tmp_path):
    config = Config().with_changes(data={"name": "fashion-mnist", "data_dir": str(tmp_path)})
    with pytest.raises(DataError) as refused:
        Trainer(config)
    assert str(tmp_path) in str(refused.value) and "train-images-idx3-ubyte" in str(refused.value)

