"""Fixtures shared by every test: fixed seeds and single-threaded torch."""

import random

import numpy as np
import pytest
import torch

TEST_SEED = 0

# One intra-op thread keeps timings and float results stable on a small,
# shared machine, and leaves the other core to the Streamlit server and
# Chromium during browser tests.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def seed_random_generators() -> None:
    """Seed Python's, numpy's and torch's global generators before each test."""
    random.seed(TEST_SEED)
    np.random.seed(TEST_SEED)
    torch.manual_seed(TEST_SEED)
