import math

import pytest
import torch

from engine.config import ACTIVATION_NAMES, ModelConfig
from engine.model import build_model, layer_names, weight_parameters


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_each_activation_is_applied(activation):
    model = build_model(3, 2, ModelConfig(hidden=(5,), activation=activation, init="xavier", init_scale=1.0))
    x = torch.randn(7, 3)
    z = model.layers[0](x)
    expected = {
        "relu": torch.relu(z),
        "sigmoid": torch.sigmoid(z),
        "tanh": torch.tanh(z),
        "leaky_relu": torch.nn.functional.leaky_relu(z),
        "gelu": torch.nn.functional.gelu(z),
        "identity": z,
    }[activation]
    torch.testing.assert_close(model(x), model.layers[1](expected))


@pytest.mark.parametrize(
    "scheme,scale,expected_std",
    [
        ("normal", 0.01, 0.01),
        ("normal", 1.0, 1.0),
        ("xavier", 1.0, math.sqrt(2 / (400 + 300))),
        ("xavier", 0.5, 0.5 * math.sqrt(2 / (400 + 300))),
        ("he", 1.0, math.sqrt(2 / 400)),
        ("he", 3.0, 3.0 * math.sqrt(2 / 400)),
    ],
)
def test_init_scheme_and_scale(scheme, scale, expected_std):
    model = build_model(400, 10, ModelConfig(hidden=(300,), init=scheme, init_scale=scale), torch.Generator().manual_seed(0))
    w = model.layers[0].weight
    assert w.std().item() == pytest.approx(expected_std, rel=0.02)
    assert abs(w.mean().item()) < expected_std * 0.02
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in model.layers)


def test_layers_ordered_input_to_output():
    model = build_model(784, 10, ModelConfig(hidden=(256, 64)))
    assert model.sizes == [784, 256, 64, 10]
    assert layer_names(model) == ["L1 784→256", "L2 256→64", "L3 64→10"]
    assert weight_parameters(model) == [layer.weight for layer in model.layers]


def test_no_hidden_layer_is_softmax_regression():
    model = build_model(64, 10, ModelConfig(hidden=()))
    assert len(model.layers) == 1 and model.sizes == [64, 10]
    x = torch.randn(4, 64)
    torch.testing.assert_close(model(x), model.layers[0](x))


def test_dropout_zeroes_and_rescales_in_training_only():
    model = build_model(10, 2, ModelConfig(hidden=(2000,), activation="identity", dropout=0.5, init="normal", init_scale=1.0))
    model.dropout_generator = torch.Generator().manual_seed(0)
    h = torch.ones(1, 2000)
    dropped = model._drop(h)
    zero_share = (dropped == 0).float().mean().item()
    assert zero_share == pytest.approx(0.5, abs=0.05)
    assert set(dropped.unique().tolist()) == {0.0, 2.0}  # kept units scaled by 1/(1-p)
    model.eval()
    assert torch.equal(model._drop(h), h)


def test_activation_and_dropout_can_change_in_place():
    model = build_model(3, 2, ModelConfig(hidden=(4,), activation="relu"))
    weights = [layer.weight.clone() for layer in model.layers]
    model.set_activation("tanh")
    model.set_dropout(0.3)
    assert isinstance(model.activation, torch.nn.Tanh) and model.dropout == 0.3
    assert all(torch.equal(a, layer.weight) for a, layer in zip(weights, model.layers))


def test_batch_norm_between_hidden_layers():
    model = build_model(3, 2, ModelConfig(hidden=(4, 4), batch_norm=True))
    assert [type(n).__name__ for n in model.norms] == ["BatchNorm1d", "BatchNorm1d"]
    out = model(torch.randn(8, 3))
    assert out.shape == (8, 2)
