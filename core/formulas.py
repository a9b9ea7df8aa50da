"""The textbook formulas the product shows, as plain NumPy functions.

These are the reference versions used for display and in tests. Training
uses the equivalent, numerically stable torch losses on logits.
"""

import numpy as np
import numpy.typing as npt

# Probabilities are clipped this far from 0 and 1 before taking a log, the
# same margin scikit-learn's log_loss uses for float64.
_LOG_EPS = float(np.finfo(np.float64).eps)


def sigmoid(x: npt.ArrayLike) -> np.ndarray:
    """Compute 1 / (1 + e^-x) element-wise without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


def softmax(logits: npt.ArrayLike, axis: int = -1) -> np.ndarray:
    """Compute e^z_k / sum_j e^z_j along `axis`.

    The logits are shifted by their maximum first, which leaves the result
    unchanged and keeps e^z from overflowing.
    """
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    exp_z = np.exp(shifted)
    return exp_z / np.sum(exp_z, axis=axis, keepdims=True)


def binary_cross_entropy(y_true: npt.ArrayLike, y_proba: npt.ArrayLike) -> np.ndarray:
    """Compute the per-row loss: -log p when the label is 1, -log(1 - p) when 0."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(y_proba, dtype=np.float64), _LOG_EPS, 1.0 - _LOG_EPS)
    return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def cross_entropy(y_true: npt.ArrayLike, y_proba: npt.ArrayLike) -> np.ndarray:
    """Compute the per-row loss -log p[y], where `y_proba` has one column per class."""
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_proba, dtype=np.float64)
    picked = np.clip(p[np.arange(len(y)), y], _LOG_EPS, 1.0)
    return -np.log(picked)


def apply_threshold(y_proba: npt.ArrayLike, threshold: float) -> np.ndarray:
    """Label a row 1 when its probability is >= `threshold`, else 0.

    The threshold is cast to the probabilities' dtype first, so a float32
    probability equal to the threshold counts as positive.
    """
    p = np.asarray(y_proba)
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    return (p >= p.dtype.type(threshold)).astype(np.int64)
