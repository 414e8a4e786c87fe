"""d2l's MLP from scratch against the concise one: one computation, written two ways."""

import pytest
import torch
from torch import nn

from engine.config import Config
from engine.errors import ConfigError
from engine.scratch import SGDByHand
from engine.trainer import Trainer
from tests.engine.test_headless import lines, run_cli


def digits(from_scratch: bool) -> Config:
    return Config().with_changes(
        data={"name": "digits"},
        model={"hidden": (64,), "dropout": 0.2, "from_scratch": from_scratch},
        train={"batch_size": 32, "epochs": 3, "lr": 0.5, "weight_decay": 1e-3},
    )


def trained(from_scratch: bool) -> Trainer:
    trainer = Trainer(digits(from_scratch))
    for _ in trainer.run():
        pass
    return trainer


def test_from_scratch_gives_the_concise_models_numbers():
    concise, scratch = trained(False), trained(True)
    for a, b in zip(concise.history.epochs, scratch.history.epochs, strict=True):
        assert b.train_loss == pytest.approx(a.train_loss, rel=1e-5)
        assert b.test_loss == pytest.approx(a.test_loss, rel=1e-5)
        assert b.test_acc == pytest.approx(a.test_acc, abs=1 / 450)  # at most one test image flips
    assert concise.history.epochs[-1].train_loss < concise.history.epochs[0].train_loss - 0.1, "both really trained"
    for p, q in zip(concise.model.parameters(), scratch.model.parameters(), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-6)


def test_from_scratch_uses_no_torch_layer_activation_or_optimizer():
    trainer = Trainer(digits(True))
    modules = list(trainer.model.modules())
    assert not any(isinstance(m, (nn.Linear, nn.ReLU)) for m in modules)
    assert type(trainer.optimizer) is SGDByHand and not isinstance(trainer.optimizer, torch.optim.SGD)


def test_sgd_by_hand_is_d2l_update_with_l2_on_the_gradient():
    w = nn.Parameter(torch.tensor([1.0, -2.0]))
    b = nn.Parameter(torch.tensor([0.5]))
    optimizer = SGDByHand([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}], lr=0.5)
    w.grad, b.grad = torch.tensor([0.2, 0.4]), torch.tensor([1.0])
    optimizer.step()
    torch.testing.assert_close(w.detach(), torch.tensor([1.0 - 0.5 * (0.2 + 0.1), -2.0 - 0.5 * (0.4 - 0.2)]))
    torch.testing.assert_close(b.detach(), torch.tensor([0.0]))


def test_from_scratch_with_adam_is_refused_clearly():
    with pytest.raises(ConfigError, match="hand-written SGD"):
        Config().with_changes(model={"from_scratch": True}, train={"optimizer": "adam"}).validate()


def test_from_scratch_checkpoint_reopens_as_from_scratch(tmp_path):
    trainer = trained(True)
    path = tmp_path / "scratch.pt"
    trainer.save(str(path))
    reopened = Trainer(digits(False))
    reopened.load(str(path))
    assert reopened.config.model.from_scratch and type(reopened.optimizer) is SGDByHand
    x = trainer.data.x_test
    assert torch.equal(reopened.predict(x), trainer.predict(x))


def test_headless_from_scratch_flag():
    args = ("--dataset", "digits", "--hidden", "32", "--epochs", "2", "--batch-size", "64")
    concise, scratch = lines(run_cli(*args)), lines(run_cli(*args, "--from-scratch"))
    assert [r["train_loss"] for r in scratch] == pytest.approx([r["train_loss"] for r in concise], rel=1e-5)
    refused = run_cli(*args, "--from-scratch", "--optimizer", "adam")
    assert refused.returncode == 2 and "error: the from-scratch MLP trains with d2l's hand-written SGD" in refused.stderr
