"""The hand-written backward pass against autograd, and the starting weights."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import TrainingError
from core.network import ACTIVATIONS, ManualBackprop, build_network

HIDDEN = [(), (8,), (8, 5)]


def batch(n_samples: int, n_classes: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, 6, generator=generator)
    if n_classes == 2:
        y = (torch.rand(n_samples, 1, generator=generator) > 0.5).float()
    else:
        y = torch.randint(0, n_classes, (n_samples,), generator=generator)
    return X, y


def autograd_gradients(network, X, y):
    loss_fn = (
        nn.BCEWithLogitsLoss() if y.dtype == torch.float32 else nn.CrossEntropyLoss()
    )
    for parameter in network.parameters():
        parameter.grad = None
    loss = loss_fn(network(X), y)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in network.parameters()]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("hidden", HIDDEN)
# 37 rows in batches of 16 end with a partial batch of 5, and 1 row is
# the batch of plain SGD.
@pytest.mark.parametrize("n_samples", [16, 5, 1])
def test_manual_gradients_equal_autograd(activation, n_classes, hidden, n_samples):
    torch.manual_seed(1)
    network = build_network(6, 1 if n_classes == 2 else n_classes, hidden, activation)
    # Move the weights away from their start so that every unit is active
    # on some rows and the biases matter.
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    X, y = batch(n_samples, n_classes)
    expected_loss, expected = autograd_gradients(network, X, y)
    for parameter in network.parameters():
        parameter.grad = None
    loss = ManualBackprop(network).gradients(X, y)
    # Bit for bit: no tolerance.
    torch.testing.assert_close(loss, expected_loss, rtol=0, atol=0)
    for parameter, grad in zip(network.parameters(), expected, strict=True):
        torch.testing.assert_close(parameter.grad, grad, rtol=0, atol=0)


def test_manual_gradients_leave_no_graph():
    network = build_network(6, 1, (8,))
    X, y = batch(10, 2)
    loss = ManualBackprop(network).gradients(X, y)
    assert loss.grad_fn is None
    assert all(p.grad.grad_fn is None for p in network.parameters())


@pytest.mark.parametrize(
    "network",
    [
        nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 1)),
        nn.Sequential(
            nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)
        ),
        nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1)),
        nn.Sequential(nn.Linear(3, 4), nn.ReLU()),
    ],
)
def test_other_networks_rejected(network):
    assert not ManualBackprop.supports(network)
    with pytest.raises(TrainingError, match="train it with autograd"):
        ManualBackprop(network)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_weights_start_glorot_zero_bias(activation):
    torch.manual_seed(0)
    network = build_network(30, 1, (64, 32), activation)
    linears = [m for m in network if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(64, 30), (32, 64), (1, 32)]
    for layer in linears:
        fan_out, fan_in = layer.weight.shape
        bound = math.sqrt(6 / (fan_in + fan_out))
        weights = layer.weight.detach().numpy()
        assert np.abs(weights).max() <= bound
        assert torch.count_nonzero(layer.bias) == 0
        if weights.size > 1000:
            # U(-a, a) has standard deviation a / sqrt(3); torch's own
            # default, a = 1 / sqrt(fan_in), would give 0.105 for 30 -> 64.
            assert weights.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_start_follows_the_seed():
    def weights(seed):
        torch.manual_seed(seed)
        return [p.detach().clone() for p in build_network(5, 3, (4,)).parameters()]

    first, again, other = weights(3), weights(3), weights(4)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])


def test_start_repeats_with_plain_torch():
    # What an exported script writes: the layers first, then the init loop.
    torch.manual_seed(5)
    network = build_network(4, 1, (3,), "tanh")
    torch.manual_seed(5)
    plain = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
    for layer in plain:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    for a, b in zip(network.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
