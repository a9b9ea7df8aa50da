import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import core.training as training
from core.errors import DivergenceError, TrainingError
from core.network import build_network, output_units, predict_proba
from core.target import encode_target
from core.training import TrainConfig, split_rows, train

DATA = Path(__file__).parents[1] / "data"


def blobs(n: int = 200, n_classes: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.normal(size=(n, 2)).astype(np.float32) + 3 * y[:, None]
    return X.astype(np.float32), y


def test_output_units_follow_classes():
    assert output_units(2) == 1
    assert output_units(3) == 3


def test_network_returns_logits():
    network = build_network(4, 3, (8,), "tanh")
    assert isinstance(network[-1], torch.nn.Linear)
    assert network[-1].out_features == 3
    assert [type(m).__name__ for m in network] == ["Linear", "Tanh", "Linear"]


def test_no_hidden_layers_is_logistic_regression():
    network = build_network(4, 1, ())
    assert len(network) == 1


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_binary_training_learns(activation):
    X, y = blobs()
    config = TrainConfig(activation=activation, epochs=30, learning_rate=0.05)
    result = train(X[:150], y[:150], X[150:], y[150:], 2, config)
    assert result.status == "finished"
    assert len(result.history) == 30
    assert result.history[-1].valid_accuracy >= 0.9
    assert result.valid_proba.shape == (50,)


def test_multiclass_training_learns():
    X, y = blobs(300, 3)
    result = train(X[:240], y[:240], X[240:], y[240:], 3, TrainConfig(epochs=40))
    assert result.valid_proba.shape == (60, 3)
    np.testing.assert_allclose(result.valid_proba.sum(axis=1), 1.0, rtol=1e-5)
    assert result.history[-1].valid_accuracy >= 0.85


def capture_networks(monkeypatch) -> list:
    """Record every network that `train` builds."""
    built = []

    def build_and_record(*args, **kwargs):
        network = build_network(*args, **kwargs)
        built.append(network)
        return network

    monkeypatch.setattr(training, "build_network", build_and_record)
    return built


def test_last_batch_of_one_row_trains(monkeypatch):
    frame = pd.read_csv(DATA / "15_bce_shape_last_batch.csv")
    X = frame[["x1", "x2"]].to_numpy(np.float32)
    y = frame["y"].to_numpy()
    built = capture_networks(monkeypatch)
    sizes = []
    config = TrainConfig(batch_size=4, epochs=1, restore_best=False)
    original_epoch = training._Loop._epoch

    def record_sizes(loop, X_t, y_t):
        gradients = loop.gradients

        def recorded(X_batch, y_batch):
            sizes.append((len(X_batch), tuple(y_batch.shape)))
            return gradients(X_batch, y_batch)

        loop.gradients = recorded
        return original_epoch(loop, X_t, y_t)

    monkeypatch.setattr(training._Loop, "_epoch", record_sizes)
    result = train(X, y, X, y, 2, config)
    assert len(built) == 1
    assert sizes == [(4, (4, 1)), (4, (4, 1)), (1, (1, 1))]
    assert math.isfinite(result.history[0].train_loss)


def test_train_loss_equals_bce_of_sigmoid():
    frame = pd.read_csv(DATA / "15_bce_shape_last_batch.csv")
    X = frame[["x1", "x2"]].to_numpy(np.float32)
    y = frame["y"].to_numpy()
    config = TrainConfig(
        batch_size=4, epochs=1, learning_rate=1e-12, restore_best=False
    )
    result = train(X, y, X, y, 2, config)
    p = torch.from_numpy(predict_proba(result.network, X)).view(-1, 1)
    target = torch.from_numpy(y.astype(np.float32)).view(-1, 1)
    expected = torch.nn.functional.binary_cross_entropy(p, target)
    assert result.history[0].valid_loss == pytest.approx(float(expected), rel=1e-5)


def test_cross_entropy_on_logits_goes_below_double_softmax_floor():
    frame = pd.read_csv(DATA / "17_separable_multiclass.csv")
    encoded = encode_target(frame["label"])
    X = frame[["x"]].to_numpy(np.float32)
    config = TrainConfig(
        hidden_layers=(), learning_rate=0.05, batch_size=len(X), epochs=500
    )
    result = train(X, encoded.y, X, encoded.y, 3, config)
    floor = -math.log(math.e / (math.e + 2))
    assert floor == pytest.approx(0.5514, abs=1e-4)
    assert result.history[-1].train_loss < 0.05
    assert result.history[-1].valid_accuracy == 1.0


def test_batch_size_one_is_plain_sgd(monkeypatch):
    X, y = blobs(60)
    steps = []
    step = training._Stepper.step

    def counted(stepper):
        steps.append(1)
        step(stepper)

    monkeypatch.setattr(training._Stepper, "step", counted)
    config = TrainConfig(optimizer="sgd", learning_rate=0.05, batch_size=1, epochs=10)
    result = train(X[:40], y[:40], X[40:], y[40:], 2, config)
    # One update per training row and epoch.
    assert len(steps) == 40 * 10
    # At least 18 of the 20 validation rows; the float32 mean of 18/20 is
    # 0.89999998.
    assert result.history[-1].valid_accuracy * 20 >= 18 - 1e-5


def test_same_seed_same_numbers():
    X, y = blobs()
    config = TrainConfig(epochs=5, seed=7)
    first = train(X[:150], y[:150], X[150:], y[150:], 2, config)
    second = train(X[:150], y[:150], X[150:], y[150:], 2, config)
    assert [r.train_loss for r in first.history] == [
        r.train_loss for r in second.history
    ]
    np.testing.assert_array_equal(first.valid_proba, second.valid_proba)


def test_divergence_names_learning_rate():
    X, y = blobs()
    config = TrainConfig(optimizer="sgd", learning_rate=1e7, batch_size=1, epochs=5)
    with pytest.raises(DivergenceError, match="learning rate 1e\\+07"):
        train(X, y, X, y, 2, config)


def test_divergence_after_good_epochs_keeps_weights(monkeypatch):
    X, y = blobs()
    built = capture_networks(monkeypatch)

    def blow_up(record):
        if record.epoch == 2:
            with torch.no_grad():
                for parameter in built[0].parameters():
                    parameter.mul_(1e30)

    config = TrainConfig(optimizer="sgd", learning_rate=0.01, epochs=10)
    result = train(X, y, X, y, 2, config, on_epoch=blow_up)
    assert result.status == "diverged"
    assert "learning rate 0.01" in result.message
    assert len(result.history) == 2
    assert np.isfinite(result.valid_proba).all()


def test_stop_event_ends_training():
    X, y = blobs(2000)
    stop = threading.Event()
    seen = []

    def on_epoch(record):
        seen.append(record)
        if record.epoch == 3:
            stop.set()

    result = train(X, y, X, y, 2, TrainConfig(epochs=100), on_epoch, stop)
    assert result.status == "stopped"
    assert len(result.history) == 3


def test_early_stopping_uses_patience():
    X, y = blobs()
    config = TrainConfig(epochs=500, early_stopping=True, patience=3, learning_rate=0.1)
    result = train(X[:150], y[:150], X[150:], y[150:], 2, config)
    assert result.status == "early_stopped"
    assert len(result.history) < 500
    assert len(result.history) - result.best_epoch == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"learning_rate": 0.0}, "invalid learning rate 0.0"),
        ({"learning_rate": float("nan")}, "invalid learning rate nan"),
        ({"batch_size": 0}, "invalid batch size 0"),
        ({"epochs": 0}, "invalid number of epochs 0"),
        ({"optimizer": "rmsprop"}, "invalid optimizer 'rmsprop'"),
        ({"momentum": 1.5}, "invalid momentum 1.5"),
        ({"hidden_layers": (0,)}, "invalid hidden layer size 0"),
        ({"activation": "gelu"}, "invalid activation 'gelu'"),
    ],
)
def test_invalid_config_rejected(change, message):
    X, y = blobs(20)
    config = TrainConfig(**change)
    with pytest.raises(TrainingError, match=message.replace("(", "\\(")):
        train(X, y, X, y, 2, config)


def test_split_is_stratified():
    y = np.array([0] * 80 + [1] * 20)
    train_idx, valid_idx = split_rows(y, 0.25, seed=0)
    assert len(valid_idx) == 25
    assert int(y[valid_idx].sum()) == 5
    assert set(train_idx).isdisjoint(valid_idx)


def test_split_falls_back_when_class_has_one_row():
    y = np.array([0] * 9 + [1])
    train_idx, valid_idx = split_rows(y, 0.2, seed=0)
    assert len(train_idx) + len(valid_idx) == 10


@pytest.mark.parametrize("share", [0.0, 1.0, -0.1])
def test_split_share_rejected(share):
    with pytest.raises(TrainingError, match="validation share"):
        split_rows(np.array([0, 1] * 5), share, seed=0)
