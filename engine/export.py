"""Export a configuration as a plain PyTorch script: nn.Sequential and a training loop.

The script is what a d2l reader would write by hand, and it trains the very
model MLP Lab trains: same data, same initial weights (the same generator,
seeded alike), same batch order, same optimizer groups (L2 on the weights
only). Without dropout its per-epoch losses equal the app's to float rounding;
with dropout the masks come from torch's global generator, so they agree in
distribution only.
"""

from __future__ import annotations

from pathlib import Path

from engine.config import REGRESSION_SETS, Config
from engine.data import default_cache_dir, load_dataset
from engine.files import save_bytes
from engine.model import ACTIVATIONS

IMAGE_SETS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}
INIT_LINES = {
    "normal": "nn.init.normal_(layer.weight, 0.0, INIT_SCALE, generator=init_generator)",
    "xavier": "nn.init.xavier_normal_(layer.weight, gain=INIT_SCALE, generator=init_generator)",
    "he": 'nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=init_generator)\n'
    "                layer.weight.mul_(INIT_SCALE)",
    "constant": "nn.init.constant_(layer.weight, INIT_SCALE)",
}


def pytorch_script(config: Config) -> str:
    """The whole script, as text."""
    config.validate()
    m, t = config.model, config.train
    classification = config.data.name not in REGRESSION_SETS
    settings = "\n".join(
        f"{name} = {value!r}"
        for name, value in (
            ("SEED", t.seed),
            ("N_OUTPUTS", _n_outputs(config)),
            ("HIDDEN", list(m.hidden)),
            ("DROPOUT", m.dropout),
            ("INIT_SCALE", m.init_scale),
            ("LR", t.lr),
            ("MOMENTUM", t.momentum),
            ("WEIGHT_DECAY", t.weight_decay),
            ("L1", t.l1),
            ("CLIP_GRAD", t.clip_grad),
            ("BATCH_SIZE", t.batch_size),
            ("EPOCHS", t.epochs),
        )
    )
    parts = [
        _HEADER.format(name=config.data.name, sizes=",".join(map(str, m.hidden)) or "none") + settings,
        _load_data(config),
        _build_model(config),
        _optimizer(config),
        _LOOP.format(
            loss="nn.CrossEntropyLoss()" if classification else "nn.MSELoss()",
            accuracy="(out.argmax(1) == y_test).float().mean().item()" if classification else "None",
            last_batch=_LAST_BATCH_OF_ONE if config.normalises_batches else "",
        ),
    ]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def _n_outputs(config: Config) -> int:
    """Classes (or 1 for regression). Only the small synthetic sets are generated to count them."""
    if config.data.name in (*IMAGE_SETS, "digits"):
        return 10
    return load_dataset(config.data, config.train.seed).n_outputs


def write_pytorch_script(config: Config, path: str | Path) -> None:
    save_bytes(path, pytorch_script(config).encode("utf-8"))


_HEADER = '''"""MLP Lab export: an MLP on {name} (hidden layers: {sizes}), in plain PyTorch.

It trains the same model as MLP Lab with the same seed: same data, initial
weights, batch order and optimizer, so without dropout the losses printed here
are the app's. (With dropout the masks come from torch's own generator.)
Prints one JSON line per epoch, like `python main.py --headless`.
"""

import json

import torch
from torch import nn

# The configuration, as it was in MLP Lab.
'''


def _load_data(config: Config) -> str:
    name = config.data.name
    if name in IMAGE_SETS:
        root = config.data.data_dir or str(default_cache_dir())
        return f'''

def load_data():
    """{name} through torchvision (downloaded once into {root}), pixels scaled to [0, 1]."""
    from torchvision.datasets import {IMAGE_SETS[name]}

    splits = []
    for train in (True, False):
        images = {IMAGE_SETS[name]}({root!r}, train=train, download=True)
        splits += [images.data.reshape(len(images.data), -1).float() / 255, images.targets.long()]
    return splits
'''
    if name == "digits":
        return '''

def load_data():
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1], MLP Lab's fixed stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16
    y = torch.tensor(digits.target, dtype=torch.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return x_train, y_train, x_test, y_test
'''
    fields = {key: value for key, value in vars(config.data).items() if key != "data_dir"}
    return f'''

def load_data():
    """MLP Lab's own generator for its synthetic {name!r} set (needs MLP Lab installed)."""
    from engine.config import DataConfig
    from engine.data import load_dataset

    data = load_dataset(DataConfig(**{fields!r}), SEED)
    return data.x_train, data.y_train, data.x_test, data.y_test
'''


def _build_model(config: Config) -> str:
    m = config.model
    norm = " nn.BatchNorm1d(n_out)," if m.batch_norm else ""
    hidden_block = f"layers += [nn.Linear(n_in, n_out),{norm} nn.{ACTIVATIONS[m.activation].__name__}()]"
    # A random scheme draws from a generator of its own, in layer order; a constant one draws nothing.
    initial = (
        "# Initial weights: every one INIT_SCALE, biases zero.\n"
        if m.init == "constant"
        else f"# Initial weights: the {m.init} scheme at scale INIT_SCALE, biases zero, drawn in layer order.\n"
        "    init_generator = torch.Generator().manual_seed(SEED)\n"
    )
    return f'''

def build_model(n_inputs, n_outputs):
    """d2l's concise MLP: Linear, activation{", dropout" if m.dropout else ""} per hidden layer, then a Linear output."""
    sizes = [n_inputs, *HIDDEN]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        {hidden_block}
        if DROPOUT > 0:
            layers.append(nn.Dropout(DROPOUT))
    layers.append(nn.Linear(sizes[-1], n_outputs))
    net = nn.Sequential(*layers)
    {initial}    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                {INIT_LINES[m.init]}
                nn.init.zeros_(layer.bias)
    return net
'''


def _optimizer(config: Config) -> str:
    if config.train.optimizer == "adam":
        make = "torch.optim.Adam(groups, lr=LR)"
    else:
        make = "torch.optim.SGD(groups, lr=LR, momentum=MOMENTUM)"
    return f'''

def make_optimizer(net):
    """L2 (weight decay) on the Linear weights only, not the biases, as d2l does."""
    weights = [layer.weight for layer in net if isinstance(layer, nn.Linear)]
    others = [p for p in net.parameters() if all(p is not w for w in weights)]
    groups = [{{"params": weights, "weight_decay": WEIGHT_DECAY}}, {{"params": others, "weight_decay": 0.0}}]
    return {make}, weights
'''


_LAST_BATCH_OF_ONE = """
            if len(batch) == 1:  # batch norm cannot normalise one sample: it sits the epoch out, as in MLP Lab
                break"""

_LOOP = '''

def main():
    x_train, y_train, x_test, y_test = load_data()
    net = build_model(x_train.shape[1], N_OUTPUTS)
    optimizer, weights = make_optimizer(net)
    loss_fn = {loss}
    shuffle = torch.Generator().manual_seed(SEED + 1)  # each epoch's batch order
    torch.manual_seed(SEED + 2)  # dropout masks
    for epoch in range(1, EPOCHS + 1):
        net.train()
        order = torch.randperm(len(x_train), generator=shuffle)
        loss_sum, seen = 0.0, 0
        # Batches as even as can be, none over BATCH_SIZE: a last batch of a few samples would
        # take a whole step on little evidence.
        for batch in order.tensor_split(-(-len(order) // BATCH_SIZE)):{last_batch}
            x, y = x_train[batch], y_train[batch]
            loss = loss_fn(net(x), y)
            objective = loss + L1 * sum(w.abs().sum() for w in weights) if L1 > 0 else loss
            optimizer.zero_grad()
            objective.backward()
            if CLIP_GRAD > 0:
                nn.utils.clip_grad_norm_(net.parameters(), CLIP_GRAD)
            optimizer.step()
            loss_sum += loss.item() * len(x)
            seen += len(x)
        net.eval()
        with torch.no_grad():
            out = net(x_test)
            test_loss = loss_fn(out, y_test).item()
            test_acc = {accuracy}
        print(json.dumps({{"epoch": epoch, "train_loss": loss_sum / seen, "test_loss": test_loss, "test_acc": test_acc}}))


if __name__ == "__main__":
    main()
'''
