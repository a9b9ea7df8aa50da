"""The classifier network: a stack of Linear layers that returns logits.

Two classes use one output unit (the logit of the positive class, turned
into a probability by the sigmoid); K > 2 classes use K output units
(turned into probabilities by the softmax). Losses are computed on the
logits, so the network never applies a sigmoid or softmax itself.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.errors import TrainingError
from core.features import DenseRows, EncodedFeatures, as_rows

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}

# What the prediction functions accept as rows.
Features = np.ndarray | EncodedFeatures | DenseRows

MAX_HIDDEN_UNITS = 4096
# Rows expanded and passed through the network at once outside training.
CHUNK_ROWS = 65536
MAX_HIDDEN_LAYERS = 8


def output_units(n_classes: int) -> int:
    """Return the number of output units: 1 for two classes, K otherwise."""
    return 1 if n_classes == 2 else n_classes


def check_architecture(hidden_layers: tuple[int, ...], activation: str) -> None:
    """Raise TrainingError if the layer sizes or the activation are invalid."""
    if activation not in ACTIVATIONS:
        raise TrainingError(
            f"invalid activation {activation!r}; choose one of "
            + ", ".join(ACTIVATIONS)
        )
    if len(hidden_layers) > MAX_HIDDEN_LAYERS:
        raise TrainingError(
            f"{len(hidden_layers)} hidden layers requested; use at most "
            f"{MAX_HIDDEN_LAYERS}"
        )
    for units in hidden_layers:
        if not isinstance(units, int) or not 1 <= units <= MAX_HIDDEN_UNITS:
            raise TrainingError(
                f"invalid hidden layer size {units!r}; each layer needs a whole "
                f"number of units from 1 to {MAX_HIDDEN_UNITS}"
            )


def build_network(
    n_features: int,
    n_outputs: int,
    hidden_layers: tuple[int, ...] = (16,),
    activation: str = "relu",
) -> nn.Sequential:
    """Build Linear -> activation -> ... -> Linear, ending in raw logits.

    Parameters
    ----------
    n_features : int
        Width of the encoded input.
    n_outputs : int
        1 for a binary target, K for K classes (see `output_units`).
    hidden_layers : tuple of int
        Units of each hidden layer; empty gives logistic regression.
    activation : {"relu", "tanh", "sigmoid"}
        Activation after each hidden layer.

    Returns
    -------
    torch.nn.Sequential
    """
    check_architecture(tuple(hidden_layers), activation)
    layers: list[nn.Module] = []
    width = n_features
    for units in hidden_layers:
        layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
        width = units
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def logits_to_proba(logits: torch.Tensor) -> torch.Tensor:
    """Turn logits into probabilities: sigmoid for one unit, softmax for K."""
    if logits.shape[1] == 1:
        return torch.sigmoid(logits[:, 0])
    return torch.softmax(logits, dim=1)


@torch.no_grad()
def predict_logits(
    network: nn.Module, X: Features, batch_size: int = CHUNK_ROWS
) -> torch.Tensor:
    """Compute the logits of every row of X in chunks of `batch_size` rows.

    X is a dense array or EncodedFeatures; chunking bounds the memory of the
    expanded one-hot rows.
    """
    network.eval()
    rows = as_rows(X)
    parts = [
        network(rows.rows(slice(start, start + batch_size)))
        for start in range(0, len(rows), batch_size)
    ]
    if not parts:
        return torch.zeros((0, _last_linear(network).out_features))
    return torch.cat(parts)


def predict_proba(
    network: nn.Module, X: Features, batch_size: int = CHUNK_ROWS
) -> np.ndarray:
    """Compute class probabilities for the rows of X.

    Returns an array of shape (n_samples,) holding P(positive class) for a
    one-unit network, or (n_samples, K) softmax rows otherwise.
    """
    return logits_to_proba(predict_logits(network, X, batch_size)).numpy()


def _last_linear(network: nn.Module) -> nn.Linear:
    linears = [m for m in network.modules() if isinstance(m, nn.Linear)]
    return linears[-1]
