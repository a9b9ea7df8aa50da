import math

import numpy as np
import pytest
import torch

from core.formulas import (
    apply_threshold,
    binary_cross_entropy,
    cross_entropy,
    sigmoid,
    softmax,
)


def test_sigmoid_of_2_5():
    assert round(float(sigmoid(2.5)), 3) == 0.924


def test_sigmoid_matches_torch_far_out():
    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    expected = torch.sigmoid(torch.tensor(x)).numpy()
    np.testing.assert_allclose(sigmoid(x), expected, rtol=1e-12, atol=0)


def test_softmax_card_example():
    p = softmax([0.9, 0.8, 0.4])
    np.testing.assert_allclose(np.round(p, 2), [0.40, 0.36, 0.24])
    assert int(np.argmax(p)) == 0


def test_softmax_rows_sum_to_one():
    logits = np.array([[1000.0, 999.0, 0.0], [-5.0, 0.0, 5.0]])
    p = softmax(logits)
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0])
    expected = torch.softmax(torch.tensor(logits), dim=1).numpy()
    np.testing.assert_allclose(p, expected)


def test_bce_label_one_is_minus_log_p():
    assert binary_cross_entropy([1], [0.9])[0] == pytest.approx(-math.log(0.9))


def test_bce_label_zero_is_minus_log_one_minus_p():
    assert binary_cross_entropy([0], [0.9])[0] == pytest.approx(-math.log(0.1))


def test_bce_matches_torch():
    y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    p = torch.tensor([0.9, 0.2, 0.3, 0.99], dtype=torch.float64)
    expected = torch.nn.functional.binary_cross_entropy(p, y.double(), reduction="none")
    np.testing.assert_allclose(binary_cross_entropy(y.numpy(), p.numpy()), expected)


def test_cross_entropy_matches_torch_on_logits():
    logits = torch.tensor([[0.9, 0.8, 0.4], [0.1, 2.0, -1.0]], dtype=torch.float64)
    y = torch.tensor([0, 2])
    expected = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    got = cross_entropy(y.numpy(), softmax(logits.numpy()))
    np.testing.assert_allclose(got, expected.numpy())


def test_threshold_uses_greater_or_equal():
    assert apply_threshold([0.49, 0.5, 0.51], 0.5).tolist() == [0, 1, 1]


def test_threshold_cast_to_float32_scores():
    scores = np.array([0.7], dtype=np.float32)
    # 0.7 as float32 is below the float64 0.7, so a float64 comparison
    # would call the row negative.
    assert float(scores[0]) < 0.7
    assert apply_threshold(scores, 0.7).tolist() == [1]
