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
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import core.metrics as metrics
import core.training as training
from core.features import EncodedFeatures
from core.metrics import ThresholdTable
from core.network import ManualBackprop, build_network
from core.training import TrainConfig, _Stepper, split_rows, train


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


def autograd_step(network, loss_fn, X, y):
    loss = loss_fn(network(X), y)
    for parameter in network.parameters():
        parameter.grad = None
    loss.backward()
    return loss


def test_manual_backprop_faster_than_autograd():
    rng = np.random.default_rng(1)
    X = torch.from_numpy(rng.normal(size=(256, 30)).astype(np.float32))
    y = torch.from_numpy((rng.random((256, 1)) < 0.5).astype(np.float32))
    network = build_network(30, 1, (64, 32))
    manual = ManualBackprop(network)
    loss_fn = nn.BCEWithLogitsLoss()
    threads = torch.get_num_threads()
    ours, theirs = [], []
    try:
        torch.set_num_threads(1)
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(50):
                manual.gradients(X, y)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(50):
                autograd_step(network, loss_fn, X, y)
            theirs.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    # Full size, one thread: 190 us against 300 us per batch (0.62x).
    assert min(ours) <= 0.8 * min(theirs)


def train_both_ways(monkeypatch, n_classes, config):
    """Train with the hand-written gradients, then with autograd's."""
    rng = np.random.default_rng(7)
    # 203 training rows in batches of 16 end with a partial batch of 11.
    X = rng.normal(size=(260, 5)).astype(np.float32)
    y = (np.abs(X[:, 0] * 2 + X[:, 1]) * n_classes / 4).astype(np.int64)
    y = np.minimum(y, n_classes - 1)
    args = (X[:203], y[:203], X[203:], y[203:], n_classes, config)
    manual = train(*args)
    with monkeypatch.context() as patch:
        patch.setattr(training.ManualBackprop, "supports", lambda network: False)
        reference = train(*args)
    return manual, reference


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "settings",
    [
        {"optimizer": "adam"},
        {"optimizer": "sgd", "momentum": 0.9, "activation": "tanh"},
        {"optimizer": "sgd", "activation": "sigmoid", "hidden_layers": (6, 4)},
    ],
)
def test_manual_backprop_trains_like_autograd(monkeypatch, n_classes, settings):
    config = TrainConfig(batch_size=16, epochs=4, restore_best=False, **settings)
    manual, reference = train_both_ways(monkeypatch, n_classes, config)
    assert [r.train_loss for r in manual.history] == [
        r.train_loss for r in reference.history
    ]
    assert [r.valid_loss for r in manual.history] == [
        r.valid_loss for r in reference.history
    ]
    np.testing.assert_array_equal(manual.valid_proba, reference.valid_proba)


def sklearn_split(y, n_valid, seed):
    train_idx, valid_idx = train_test_split(
        np.arange(len(y)), test_size=n_valid, random_state=seed, stratify=y
    )
    return np.sort(train_idx), np.sort(valid_idx)


def split_cases():
    rng = np.random.default_rng(8)
    yield np.array([0] * 30 + [1] * 10), 0.2
    yield np.array([0, 0, 0, 1, 1, 1, 0, 1, 0, 1]), 0.3
    # Code 1 absent, as after dropping rows; tiny and rare classes.
    yield np.array([0] * 7 + [2] * 5 + [3] * 2), 0.3
    yield rng.integers(0, 2, 1_001), 0.2
    yield np.minimum(rng.geometric(0.3, 5_000) - 1, 9), 0.25
    yield rng.choice(4, 20_000, p=[0.7, 0.2, 0.07, 0.03]), 0.1


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_stratified_split_equals_train_test_split(seed):
    for y, share in split_cases():
        n_valid = int(np.ceil(len(y) * share))
        expected_train, expected_valid = sklearn_split(y, n_valid, seed)
        got_train, got_valid = split_rows(y, share, seed)
        np.testing.assert_array_equal(got_train, expected_train)
        np.testing.assert_array_equal(got_valid, expected_valid)


def test_stratified_split_faster_than_train_test_split():
    y = np.random.default_rng(9).integers(0, 2, 120_000)
    ours, theirs = [], []
    for _ in range(3):
        started = time.perf_counter()
        split_rows(y, 1 / 6, 0)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        sklearn_split(y, 20_000, 0)
        theirs.append(time.perf_counter() - started)
    # Full size: 20 ms against 46 ms (0.43x).
    assert min(ours) <= 0.75 * min(theirs)


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
