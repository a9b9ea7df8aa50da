"""Regression guards for the fast paths: ratios against a peer, and exactness.

The ratios are measured against a peer in the same run, with margins wide
enough for a loaded 2-core machine; benchmarks/ has the full-size numbers.
The exactness tests check that each shortcut gives the numbers of the plain
way it replaces.
"""

import statistics
import time

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import core.metrics as metrics
from core.features import EncodedFeatures
from core.metrics import ThresholdTable
from core.network import build_network
from core.training import TrainConfig, _Stepper, train


def scored_rows(n_samples: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(n_samples) < 0.4).astype(np.int64)
    y_score = rng.random(n_samples).astype(np.float32)
    # A third of the scores tied on a 0.01 grid.
    tied = rng.random(n_samples) < 1 / 3
    y_score[tied] = np.round(y_score[tied], 2)
    return y_true, y_score


def sklearn_move(y_true, y_score, threshold):
    y_pred = (y_score >= y_score.dtype.type(threshold)).astype(np.int64)
    return (
        skm.accuracy_score(y_true, y_pred),
        skm.precision_score(y_true, y_pred, zero_division=np.nan),
        skm.recall_score(y_true, y_pred, zero_division=np.nan),
        skm.f1_score(y_true, y_pred, zero_division=np.nan),
    )


def test_threshold_lookup_1000x_faster_than_sklearn():
    y_true, y_score = scored_rows(100_000)
    table = ThresholdTable.from_scores(y_true, y_score)
    thresholds = [0.0, 0.25, float(y_score[7]), 0.5, 0.99]
    lookups, recomputes = [], []
    for threshold in thresholds:
        started = time.perf_counter()
        expected = sklearn_move(y_true, y_score, threshold)
        recomputes.append(time.perf_counter() - started)
        got = table.at(threshold)
        assert (got.accuracy, got.precision, got.recall, got.f1) == expected
        started = time.perf_counter()
        for _ in range(200):
            table.at(threshold)
        lookups.append((time.perf_counter() - started) / 200)
    # The fastest recompute against the median lookup keeps noise on our side.
    assert min(recomputes) / statistics.median(lookups) >= 1_000


def textbook_epoch(X, y, batch_size):
    """One epoch as tutorials write it: a DataLoader and optimizer defaults."""
    torch.manual_seed(0)
    model = build_network(X.shape[1], 1, (64, 32))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    targets = torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), targets), batch_size=batch_size, shuffle=True
    )
    loss_fn = nn.BCEWithLogitsLoss()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()


def test_epoch_not_slower_than_dataloader_loop():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4_000, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64)
    config = TrainConfig(
        hidden_layers=(64, 32), learning_rate=0.001, batch_size=32, epochs=1
    )
    threads = torch.get_num_threads()
    ours, theirs = [], []
    try:
        torch.set_num_threads(1)
        # The first optimizer of a process imports torch._dynamo (seconds).
        textbook_epoch(X[:64], y[:64], 32)
        for _ in range(3):
            started = time.perf_counter()
            train(X[:3_000], y[:3_000], X[3_000:], y[3_000:], 2, config)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            textbook_epoch(X[:3_000], y[:3_000], 32)
            theirs.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    # train() also computes the start loss and validates; full size: ~0.3x.
    assert statistics.median(ours) <= 1.0 * statistics.median(theirs)


def run_steps(optimizer_name, momentum, fast):
    torch.manual_seed(3)
    network = build_network(6, 1, (8, 4))
    if optimizer_name == "adam":
        optimizer = torch.optim.Adam(network.parameters(), lr=0.01, fused=True)
    else:
        optimizer = torch.optim.SGD(network.parameters(), lr=0.05, momentum=momentum)
    stepper = _Stepper(optimizer)
    generator = torch.Generator().manual_seed(4)
    for _ in range(25):
        X = torch.randn(16, 6, generator=generator)
        y = (torch.rand(16, 1, generator=generator) > 0.5).float()
        loss = nn.functional.binary_cross_entropy_with_logits(network(X), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if fast:
            stepper.step()
        else:
            optimizer.step()
    return [p.detach().clone() for p in network.parameters()]


@pytest.mark.parametrize(
    ("optimizer_name", "momentum"), [("adam", 0.0), ("sgd", 0.0), ("sgd", 0.9)]
)
def test_fast_step_equals_optimizer_step(optimizer_name, momentum):
    plain = run_steps(optimizer_name, momentum, fast=False)
    fast = run_steps(optimizer_name, momentum, fast=True)
    for a, b in zip(plain, fast, strict=True):
        assert torch.equal(a, b)


def hard_scores(dtype) -> np.ndarray:
    rng = np.random.default_rng(5)
    n = 2 * metrics.RADIX_MIN_ROWS
    values = rng.normal(size=n) * 10.0 ** rng.integers(-30, 30, n)
    values[:100] = 0.0
    values[100:200] = -0.0
    values[200:1000] = np.round(values[200:1000], 1)
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_radix_sort_equals_numpy_sort(dtype):
    values = hard_scores(dtype)
    got = metrics._radix_sort(values)
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(got, np.sort(values))
    # -0.0 and 0.0 compare equal, so numpy may order them either way.
    assert (np.diff(got) >= 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, ">f4", ">f8"])
def test_sorted_scores_equal_numpy_sort(dtype):
    values = hard_scores(dtype)
    got = metrics._sorted_scores(values)
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(got, np.sort(values))


def test_large_table_counts_equal_direct_counts():
    y_true, y_score = scored_rows(3 * metrics.RADIX_MIN_ROWS, seed=2)
    y_score[:50] = -y_score[:50]  # negative scores take the sign-flip path
    table = ThresholdTable.from_scores(y_true, y_score)
    for threshold in (-0.5, 0.0, 0.3, float(y_score[11]), 1.0):
        predicted = y_score >= np.float32(threshold)
        got = table.at(threshold)
        assert got.tp == int((predicted & (y_true == 1)).sum())
        assert got.fp == int((predicted & (y_true == 0)).sum())


def test_encoded_rows_expand_to_dense_matrix():
    rng = np.random.default_rng(6)
    n = 40
    dense = rng.normal(size=(n, 2)).astype(np.float32)
    # Feature layout: one-hot block 0-2, numeric 3, one-hot block 4-5, numeric 6.
    hot = np.column_stack([rng.integers(-1, 3, n), 4 + rng.integers(0, 2, n)])
    hot[hot[:, 0] < 0, 0] = -1
    encoded = EncodedFeatures(dense, np.array([3, 6]), hot, 7)
    expected = np.zeros((n, 7), dtype=np.float32)
    expected[:, [3, 6]] = dense
    for row, positions in enumerate(hot):
        for position in positions[positions >= 0]:
            expected[row, position] = 1.0
    index = torch.tensor([5, 0, 39, 5])
    np.testing.assert_array_equal(encoded.rows().numpy(), expected)
    np.testing.assert_array_equal(encoded.rows(index).numpy(), expected[[5, 0, 39, 5]])
    np.testing.assert_array_equal(encoded.rows(slice(3, 9)).numpy(), expected[3:9])
