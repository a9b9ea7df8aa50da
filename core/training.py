"""Mini-batch training of the classifier network, with per-epoch history.

The loop keeps the whole training set as one tensor and takes shuffled
index slices of it, so an epoch does no per-row Python work. Batch size 1
is plain stochastic gradient descent; a batch as large as the data is
full-batch gradient descent.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from core.errors import DivergenceError, TrainingError
from core.features import EncodedFeatures, as_rows
from core.network import (
    build_network,
    check_architecture,
    output_units,
    predict_logits,
    predict_proba,
)

logger = logging.getLogger(__name__)

OPTIMIZERS = ("sgd", "adam")

# A mean loss this many times the loss of the untrained network, or a
# non-finite loss, counts as divergence.
DIVERGENCE_FACTOR = 20.0


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run.

    `learning_rate` is the optimizer's step size; `momentum` is used by SGD
    only. `validation_share` is the fraction of labelled rows held out
    (stratified by class where every class has two rows or more). With
    `early_stopping`, training ends after `patience` epochs without a lower
    validation loss. `restore_best` keeps the weights of the epoch with the
    lowest validation loss instead of the last ones.
    """

    hidden_layers: tuple[int, ...] = (16,)
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.0
    batch_size: int = 32
    epochs: int = 50
    validation_share: float = 0.2
    seed: int = 0
    early_stopping: bool = False
    patience: int = 10
    restore_best: bool = True

    def to_dict(self) -> dict:
        """Return the settings as plain data."""
        data = asdict(self)
        data["hidden_layers"] = list(self.hidden_layers)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Rebuild settings from `to_dict` output."""
        values = dict(data)
        values["hidden_layers"] = tuple(values.get("hidden_layers", ()))
        return cls(**values)


@dataclass(frozen=True)
class EpochRecord:
    """Losses and accuracy after one epoch; `dur` is in seconds."""

    epoch: int
    train_loss: float
    valid_loss: float
    valid_accuracy: float
    dur: float


@dataclass
class TrainResult:
    """The network after training and how the run ended.

    `status` is "finished" (all epochs), "early_stopped", "stopped" (the
    stop event was set) or "diverged" (the weights are those of the last
    epoch with a finite loss). `valid_proba` holds validation probabilities
    of the returned weights: shape (n_valid,) for binary, (n_valid, K)
    otherwise.
    """

    network: nn.Sequential
    history: list[EpochRecord]
    status: str
    message: str
    best_epoch: int
    valid_proba: np.ndarray = field(repr=False)


def warm_up() -> None:
    """Build a throwaway optimizer so the first real run starts without delay.

    The first optimizer built in a process imports torch._dynamo, which took
    1.4 to 4.6 s on a 2-core machine (torch 2.13); a front end can call this
    in the background at start-up.
    """
    torch.optim.Adam(nn.Linear(1, 1).parameters(), lr=0.01)


def check_config(config: TrainConfig, n_train: int) -> None:
    """Raise TrainingError naming the first invalid setting of `config`."""
    check_architecture(tuple(config.hidden_layers), config.activation)
    if config.optimizer not in OPTIMIZERS:
        raise TrainingError(
            f"invalid optimizer {config.optimizer!r}; choose 'sgd' or 'adam'"
        )
    if not (math.isfinite(config.learning_rate) and config.learning_rate > 0):
        raise TrainingError(
            f"invalid learning rate {config.learning_rate!r}; use a positive "
            "number such as 0.01"
        )
    if not 0 <= config.momentum < 1:
        raise TrainingError(
            f"invalid momentum {config.momentum!r}; use a value in [0, 1), e.g. 0.9"
        )
    if not (isinstance(config.batch_size, int) and config.batch_size >= 1):
        raise TrainingError(
            f"invalid batch size {config.batch_size!r}; use a whole number >= 1 "
            "(1 is plain stochastic gradient descent)"
        )
    if not (isinstance(config.epochs, int) and 1 <= config.epochs <= 10_000):
        raise TrainingError(
            f"invalid number of epochs {config.epochs!r}; use 1 to 10000"
        )
    if config.patience < 1:
        raise TrainingError(f"invalid patience {config.patience!r}; use 1 or more")
    if n_train < 1:
        raise TrainingError(
            "no training rows are left; add rows or lower the validation share"
        )


def split_rows(
    y: np.ndarray, validation_share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices into training and validation parts.

    The split is stratified by class when every class has at least two
    rows and the validation part can hold one row of each class;
    otherwise it is a plain shuffled split.

    Raises
    ------
    TrainingError
        If the share is outside (0, 1) or leaves a part empty.
    """
    n_samples = len(y)
    if not 0 < validation_share < 1:
        raise TrainingError(
            f"invalid validation share {validation_share!r}; use a fraction "
            "between 0 and 1, such as 0.2"
        )
    n_valid = int(math.ceil(n_samples * validation_share))
    if n_samples < 2 or n_valid >= n_samples:
        raise TrainingError(
            f"{n_samples} labelled rows cannot be split with validation share "
            f"{validation_share}; add rows or lower the share"
        )
    counts = np.bincount(y)
    n_classes = int(np.count_nonzero(counts))
    stratify = y if counts[counts > 0].min() >= 2 and n_valid >= n_classes else None
    if stratify is not None and n_samples - n_valid < n_classes:
        stratify = None
    train_idx, valid_idx = train_test_split(
        np.arange(n_samples),
        test_size=n_valid,
        random_state=seed,
        stratify=stratify,
    )
    return np.sort(train_idx), np.sort(valid_idx)


def _make_optimizer(network: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = network.parameters()
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.learning_rate, momentum=config.momentum
        )
    try:
        return torch.optim.Adam(params, lr=config.learning_rate, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(network.parameters(), lr=config.learning_rate)


def _targets(y: np.ndarray, n_classes: int) -> torch.Tensor:
    # BCEWithLogitsLoss wants float targets shaped like the [N, 1] output;
    # CrossEntropyLoss wants int64 class codes of shape [N].
    if n_classes == 2:
        return torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    return torch.from_numpy(y.astype(np.int64))


def _loss_function(n_classes: int) -> nn.Module:
    return nn.BCEWithLogitsLoss() if n_classes == 2 else nn.CrossEntropyLoss()


@torch.no_grad()
def _evaluate(network, loss_fn, X, y: torch.Tensor):
    logits = predict_logits(network, X)
    loss = float(loss_fn(logits, y))
    if logits.shape[1] == 1:
        predicted = (logits >= 0).to(y.dtype)
        accuracy = float((predicted == y).float().mean())
    else:
        accuracy = float((logits.argmax(dim=1) == y).float().mean())
    network.train()
    return loss, accuracy


def _divergence_message(config: TrainConfig, epoch: int, loss: float) -> str:
    smaller = min(config.learning_rate / 10, 0.1)
    return (
        f"training diverged in epoch {epoch}: the training loss became {loss:.4g} "
        f"with learning rate {config.learning_rate:g} ({config.optimizer}). "
        f"Try a smaller learning rate such as {smaller:g}"
        + (", or Adam" if config.optimizer == "sgd" else "")
        + "."
    )


def train(
    X_train: np.ndarray | EncodedFeatures,
    y_train: np.ndarray,
    X_valid: np.ndarray | EncodedFeatures,
    y_valid: np.ndarray,
    n_classes: int,
    config: TrainConfig,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    stop_event: threading.Event | None = None,
) -> TrainResult:
    """Train a new network on (X_train, y_train), validating each epoch.

    Parameters
    ----------
    X_train, X_valid : ndarray of shape (n_samples, n_features) or EncodedFeatures
        Encoded rows; EncodedFeatures expands one batch at a time.
    y_train, y_valid : ndarray of shape (n_samples,), class codes 0..K-1
    n_classes : int
        K; 2 gives one sigmoid output with binary cross-entropy.
    config : TrainConfig
    on_epoch : callable, optional
        Called with each EpochRecord as soon as the epoch ends.
    stop_event : threading.Event, optional
        When set, training stops after the current batch.

    Returns
    -------
    TrainResult

    Raises
    ------
    TrainingError
        If a setting is invalid.
    DivergenceError
        If the loss diverges before any epoch completed.
    """
    check_config(config, len(X_train))
    X_t = as_rows(X_train)
    y_t = _targets(y_train, n_classes)
    X_v = as_rows(X_valid)
    y_v = _targets(y_valid, n_classes)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    network = build_network(
        X_t.n_features,
        output_units(n_classes),
        tuple(config.hidden_layers),
        config.activation,
    )
    optimizer = _make_optimizer(network, config)
    loss_fn = _loss_function(n_classes)
    stop_event = stop_event or threading.Event()
    loop = _Loop(network, optimizer, loss_fn, config, generator, stop_event)
    logger.info(
        "training %s on %d rows x %d features, %d classes",
        config.optimizer,
        len(X_t),
        X_t.n_features,
        n_classes,
    )
    status, message = loop.run(X_t, y_t, X_v, y_v, on_epoch)
    valid_proba = predict_proba(network, X_v)
    logger.info("training ended: %s after %d epochs", status, len(loop.history))
    return TrainResult(
        network, loop.history, status, message, loop.best_epoch, valid_proba
    )


class _Loop:
    """State of one training run: the epochs, the best weights, the stop rule."""

    def __init__(self, network, optimizer, loss_fn, config, generator, stop_event):
        self.network = network
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.config = config
        self.generator = generator
        self.stop_event = stop_event
        self.history: list[EpochRecord] = []
        self.best_epoch = 0
        self.best_loss = math.inf
        self.best_state = _copy_state(network)
        self.last_good_state = self.best_state

    def run(self, X_t, y_t, X_v, y_v, on_epoch) -> tuple[str, str]:
        with torch.no_grad():
            start_loss = float(self.loss_fn(predict_logits(self.network, X_t), y_t))
        self.network.train()
        limit = max(DIVERGENCE_FACTOR * start_loss, 10.0)
        status, message = "finished", ""
        since_best = 0
        for epoch in range(1, self.config.epochs + 1):
            started = time.perf_counter()
            train_loss = self._epoch(X_t, y_t)
            if self.stop_event.is_set():
                status, message = "stopped", f"stopped by request in epoch {epoch}"
                break
            if not math.isfinite(train_loss) or train_loss > limit:
                status = "diverged"
                message = _divergence_message(self.config, epoch, train_loss)
                if not self.history:
                    raise DivergenceError(message)
                self.network.load_state_dict(self.last_good_state)
                break
            valid_loss, valid_accuracy = _evaluate(self.network, self.loss_fn, X_v, y_v)
            record = EpochRecord(
                epoch,
                train_loss,
                valid_loss,
                valid_accuracy,
                time.perf_counter() - started,
            )
            self.history.append(record)
            self.last_good_state = _copy_state(self.network)
            logger.debug("epoch %d: %s", epoch, record)
            if on_epoch is not None:
                on_epoch(record)
            if valid_loss < self.best_loss:
                self.best_loss, self.best_epoch = valid_loss, epoch
                self.best_state = self.last_good_state
                since_best = 0
            else:
                since_best += 1
            if self.config.early_stopping and since_best >= self.config.patience:
                status = "early_stopped"
                message = (
                    f"stopped early after epoch {epoch}: no lower validation loss "
                    f"for {self.config.patience} epochs (best: epoch {self.best_epoch})"
                )
                break
        self._keep_weights(status)
        return status, message

    def _epoch(self, X_t, y_t: torch.Tensor) -> float:
        n_samples = len(X_t)
        batch_size = self.config.batch_size
        order = torch.randperm(n_samples, generator=self.generator)
        total = torch.zeros(())
        self.network.train()
        for start in range(0, n_samples, batch_size):
            if self.stop_event.is_set():
                break
            index = order[start : start + batch_size]
            xb, yb = X_t.rows(index), y_t[index]
            loss = self.loss_fn(self.network(xb), yb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            # Summing detached batch losses keeps the epoch mean exact
            # without a host sync per batch.
            total += loss.detach() * len(index)
        return float(total) / n_samples

    def _keep_weights(self, status: str) -> None:
        if status == "diverged" or not self.history:
            return
        if self.config.restore_best and self.best_epoch:
            self.network.load_state_dict(self.best_state)


def _copy_state(network: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in network.state_dict().items()}
