"""Checkpoints: atomic saves, weights-only loads, and a readable reason for every refusal.

Our format is a plain dict (tensors, numbers, strings, lists) that
`torch.load(path, weights_only=True)` reads anywhere. We also open d2l's two
kinds: a bare `state_dict` of an nn.Sequential MLP, and its full checkpoint
dict (`epoch`, `model_state_dict`, `optimizer_state_dict`, `loss`). Loading
never unpickles code, and builds the new session aside: the running one is
only replaced once everything checked out.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from engine.config import Config
from engine.errors import CheckpointError, ConfigError, DataError
from engine.files import write_atomically
from engine.model import layer_names
from engine.probe_history import ProbeHistory
from engine.stats import History

if TYPE_CHECKING:
    from engine.data import Dataset, ProgressCallback
    from engine.trainer import Trainer, TrainingState

FORMAT = "mlp-lab"
VERSION = 1


def checkpoint_payload(trainer: Trainer) -> dict[str, Any]:
    s = trainer.state
    last_loss = s.history.epochs[-1].train_loss if s.history.epochs else float("nan")
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": s.config.to_dict(),
        "model_state_dict": {k: v.detach().cpu().clone() for k, v in s.model.state_dict().items()},
        "optimizer_state_dict": _to_cpu(s.optimizer.state_dict()),
        "epoch": s.epoch,
        "step": s.step,
        "loss": last_loss,  # d2l's key: the last epoch's training loss
        "step_in_epoch": s.step_in_epoch,
        "epoch_progress": dataclasses.asdict(s.progress),
        "history": s.history.to_dict(),
        "probes": s.probes.to_dict(),  # behind the views over time; files before it have none
        "rng": {
            "epoch_start_batch": s.epoch_start_rng.clone(),
            "dropout": s.model.dropout_generator.get_state() if s.model.dropout_generator is not None else None,
            "dropout_device": s.device.type,  # a CUDA generator's state means nothing to the CPU's, and back
        },
    }


def save_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Written whole or not at all (engine.files)."""
    payload = checkpoint_payload(trainer)
    write_atomically(path, lambda f: torch.save(payload, f))


def read_checkpoint(path: str | os.PathLike) -> Any:
    """`torch.load` with weights_only=True, its failures turned into one-line reasons."""
    path = Path(path)
    if path.is_dir():  # a folder dropped on the window, or chosen by name
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if not path.is_file():  # a device or a pipe: /dev/null was said to be no such file
        raise CheckpointError(f"{path} is not a file that holds a checkpoint (a device or a pipe)")
    try:
        with warnings.catch_warnings():
            # A plain pickle (protocol 4, not torch's 2) made torch warn on stderr before the
            # refusal below: the command line's "one error line" became three.
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files; all mean "refused"
        text = str(exc)
        if "Weights only load failed" in text and "global" in text.lower():
            raise CheckpointError(
                f"{path.name} was refused: it contains Python objects, not just tensors and numbers, "
                "and opening it could run code. Only weights-only checkpoints are opened."
            ) from None
        detail = "" if "Weights only load failed" in text else f": {_first_line(exc)[:120]}"
        raise CheckpointError(
            f"{path.name} is not a readable checkpoint (truncated, corrupt or not written by torch.save{detail})"
        ) from None


@dataclasses.dataclass(frozen=True)
class LoadContext:
    """What opening a file takes from the session it opens in: the machine's device and data
    folder, the data already loaded (reused where the file's is the same), a download's progress
    report, and for d2l's files, which hold only weights, the rest of the configuration."""

    config: Config
    data: Dataset | None = None
    progress: ProgressCallback | None = None


def load_checkpoint(path: str | os.PathLike, context: LoadContext) -> tuple[TrainingState, str]:
    """Build a new TrainingState from the file, and say which kind of file it was."""
    obj = read_checkpoint(path)
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        return _load_ours(obj, context), "mlp-lab"
    if isinstance(obj, dict) and "model_state_dict" in obj:
        return _load_plain(obj["model_state_dict"], obj, context), "d2l-checkpoint"
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return _load_plain(obj, {}, context), "state_dict"
    found = f"a dict with keys {sorted(map(str, obj))[:5]}" if isinstance(obj, dict) else f"a {type(obj).__name__}"
    raise CheckpointError(f"{Path(path).name} is not an MLP checkpoint: found {found}")


def _load_ours(obj: dict, context: LoadContext) -> TrainingState:
    from engine.trainer import EpochProgress

    version = obj.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(
            f"this checkpoint has format version {version}, written by a newer MLP Lab; this one reads up to version {VERSION}"
        )
    try:
        config = _on_this_machine(Config.from_dict(obj["config"]), context.config)
    except (ConfigError, KeyError, TypeError) as exc:
        raise CheckpointError(f"the checkpoint's configuration is invalid: {exc}") from None
    state = _build_for(config, context)
    try:
        _check_fits(_linear_shapes(obj["model_state_dict"]), state)
        state.model.load_state_dict(obj["model_state_dict"], strict=True)
        state.optimizer.load_state_dict(obj["optimizer_state_dict"])
        state.epoch = int(obj["epoch"])
        state.step = int(obj["step"])
        state.step_in_epoch = int(obj.get("step_in_epoch", 0))
        state.progress = EpochProgress(**obj.get("epoch_progress", {}))
        state.history = History.from_dict(obj.get("history", {}))
        if "probes" in obj:
            state.probes = ProbeHistory.from_dict(obj["probes"], layer_names(state.model))
        rng = obj.get("rng", {})
        if rng.get("epoch_start_batch") is not None:
            state.epoch_start_rng = rng["epoch_start_batch"]
        # A dropout stream drawn on another kind of device cannot go on here (a file from a GPU
        # opened on a laptop): the seed's fresh stream stands in for it.
        same_device = rng.get("dropout_device", "cpu") == state.device.type
        if rng.get("dropout") is not None and state.model.dropout_generator is not None and same_device:
            state.model.dropout_generator.set_state(rng["dropout"])
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:  # AttributeError: a list where a dict belongs
        raise CheckpointError(f"damaged checkpoint: {_first_line(exc)}") from None
    return state


def _load_plain(state_dict: Any, extra: dict, context: LoadContext) -> TrainingState:
    """d2l-style weights: the architecture is read off the tensor shapes, the rest of the
    configuration (activation, data) is the session's own."""
    if not isinstance(state_dict, dict):
        raise CheckpointError("model_state_dict is not a dict of tensors")
    layers = _linear_layers(state_dict)
    hidden = tuple(w.shape[0] for w, _ in layers[:-1])
    train_changes: dict[str, Any] = {}
    lr = _d2l_learning_rate(extra.get("optimizer_state_dict"))
    if lr is not None:
        train_changes["lr"] = lr
    try:
        config = context.config.with_changes(model={"hidden": hidden, "batch_norm": False}, train=train_changes).validate()
    except ConfigError as exc:
        raise CheckpointError(f"the checkpoint's settings are out of range: {exc}") from None
    state = _build_for(config, context)
    _check_fits([tuple(w.shape) for w, _ in layers], state)
    with torch.no_grad():
        for linear, (w, b) in zip(state.model.layers, layers):
            linear.weight.copy_(w)
            linear.bias.copy_(b)
    epoch = extra.get("epoch", 0)
    state.epoch = epoch if isinstance(epoch, int) and epoch >= 0 else 0
    return state


def _on_this_machine(config: Config, session_config: Config) -> Config:
    """The file's configuration with the session's device and probe interval (how this run goes,
    not what it trains), and the session's data folder unless the file names a folder that exists
    here (a file from another computer names one of that one)."""
    data_dir = config.data.data_dir
    here = data_dir if data_dir is not None and Path(data_dir).is_dir() else session_config.data.data_dir
    return dataclasses.replace(
        config.with_changes(data={"data_dir": here}, train={"device": session_config.train.device}), probes=session_config.probes
    )


def _build_for(config: Config, context: LoadContext) -> TrainingState:
    from engine.trainer import build_state

    try:
        return build_state(config, context.data, context.progress)
    except DataError as exc:
        raise CheckpointError(f"the checkpoint trains on {config.data.name}, which cannot be loaded: {exc}") from None
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None


def _linear_layers(state_dict: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight, bias) pairs in file order: each 2-D tensor opens a layer, the 1-D tensor after it is its bias."""
    layers: list[list[torch.Tensor | None]] = []
    for key, tensor in state_dict.items():
        if not isinstance(tensor, torch.Tensor):
            raise CheckpointError(f"not a state_dict: {key!r} is a {type(tensor).__name__}, not a tensor")
        if tensor.dim() == 2:
            layers.append([tensor, None])
        elif tensor.dim() == 1 and layers and layers[-1][1] is None and len(tensor) == layers[-1][0].shape[0]:
            layers[-1][1] = tensor
        else:
            raise CheckpointError(f"not a plain MLP state_dict: unexpected tensor {key!r} of shape {tuple(tensor.shape)}")
    if not layers:
        raise CheckpointError("the state_dict holds no Linear weights")
    pairs = []
    for i, (w, b) in enumerate(layers):
        if i and w.shape[1] != layers[i - 1][0].shape[0]:
            raise CheckpointError(f"layer {i + 1} takes {w.shape[1]} inputs but layer {i} gives {layers[i - 1][0].shape[0]}")
        pairs.append((w.float(), (b if b is not None else torch.zeros(w.shape[0])).float()))
    return pairs


def _linear_shapes(state_dict: Any) -> list[tuple[int, ...]]:
    if not isinstance(state_dict, dict):
        raise CheckpointError("model_state_dict is not a dict of tensors")
    return [tuple(v.shape) for k, v in state_dict.items() if k.startswith("layers.") and k.endswith(".weight")]


def _check_fits(shapes: list[tuple[int, ...]], state: TrainingState) -> None:
    data = state.data
    if not shapes:
        raise CheckpointError("the checkpoint holds no Linear weights")
    if shapes[0][1] != data.n_features:
        raise CheckpointError(f"the checkpoint's first layer takes {shapes[0][1]} inputs, but {data.name} has {data.n_features} features")
    if shapes[-1][0] != data.n_outputs:
        raise CheckpointError(f"the checkpoint's last layer has {shapes[-1][0]} outputs, but {data.name} needs {data.n_outputs}")


def _d2l_learning_rate(optimizer_state: Any) -> float | None:
    try:
        lr = optimizer_state["param_groups"][0]["lr"]
        return float(lr) if lr > 0 else None
    except (TypeError, KeyError, IndexError):
        return None


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cpu(v) for v in value]
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
