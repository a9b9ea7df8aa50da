"""The Train page's settings widgets, returning a `TrainConfig`.

Each widget is seeded from the last configuration this tab used, so the
settings survive a page switch.
"""

from __future__ import annotations

import streamlit as st

from components import state
from core.errors import TrainingError
from core.network import ACTIVATIONS
from core.training import OPTIMIZERS, TrainConfig


def parse_hidden_layers(text: str) -> tuple[int, ...]:
    """Turn "64, 32" into (64, 32); an empty text means no hidden layer.

    Raises
    ------
    TrainingError
        If a part is not a whole number.
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise TrainingError(
            f"invalid hidden layers {text!r}; write the units of each layer as "
            "whole numbers separated by commas, e.g. '16' or '64, 32'"
        ) from None


def config_form(default: TrainConfig) -> TrainConfig:
    """Draw the training settings and return them as a `TrainConfig`.

    Raises
    ------
    TrainingError
        If the hidden-layer text cannot be parsed.
    """
    network_column, optimizer_column, run_column = st.columns(3, gap="large")
    with network_column:
        st.markdown("**Network**")
        hidden_text = st.text_input(
            "Hidden layers (units per layer, comma-separated)",
            key=state.seed_widget(
                "train_hidden", ", ".join(str(u) for u in default.hidden_layers)
            ),
            help="'16' is one hidden layer of 16 units; '64, 32' is two layers. "
            "Leave empty for no hidden layer (logistic regression).",
        )
        activation = st.selectbox(
            "Activation of the hidden layers",
            list(ACTIVATIONS),
            key=state.seed_widget("train_activation", default.activation),
        )
    with optimizer_column:
        st.markdown("**Optimizer**")
        optimizer = st.radio(
            "Optimizer",
            list(OPTIMIZERS),
            format_func={"sgd": "SGD", "adam": "Adam"}.get,
            key=state.seed_widget("train_optimizer", default.optimizer),
            horizontal=True,
        )
        learning_rate = st.number_input(
            "Learning rate η",
            min_value=1e-6,
            max_value=10.0,
            format="%.4f",
            step=0.001,
            key=state.seed_widget("train_learning_rate", default.learning_rate),
        )
        momentum = st.number_input(
            "Momentum μ (SGD only)",
            min_value=0.0,
            max_value=0.99,
            step=0.1,
            key=state.seed_widget("train_momentum", default.momentum),
            disabled=optimizer != "sgd",
        )
        batch_size = st.number_input(
            "Batch size (1 = plain stochastic gradient descent)",
            min_value=1,
            max_value=100_000,
            step=1,
            key=state.seed_widget("train_batch_size", default.batch_size),
        )
    with run_column:
        st.markdown("**Run**")
        epochs = st.number_input(
            "Epochs (passes over the training rows)",
            min_value=1,
            max_value=10_000,
            step=10,
            key=state.seed_widget("train_epochs", default.epochs),
        )
        validation_share = st.slider(
            "Validation share (rows held out)",
            min_value=0.05,
            max_value=0.5,
            step=0.05,
            key=state.seed_widget("train_validation_share", default.validation_share),
        )
        seed = st.number_input(
            "Seed (same seed, same result)",
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            key=state.seed_widget("train_seed", default.seed),
        )
        early_stopping = st.checkbox(
            "Early stopping",
            key=state.seed_widget("train_early_stopping", default.early_stopping),
        )
        patience = st.number_input(
            "Patience (epochs without a lower validation loss)",
            min_value=1,
            max_value=1000,
            step=1,
            key=state.seed_widget("train_patience", default.patience),
            disabled=not early_stopping,
        )
    return TrainConfig(
        hidden_layers=parse_hidden_layers(hidden_text),
        activation=activation,
        optimizer=optimizer,
        learning_rate=float(learning_rate),
        momentum=float(momentum),
        batch_size=int(batch_size),
        epochs=int(epochs),
        validation_share=float(validation_share),
        seed=int(seed),
        early_stopping=bool(early_stopping),
        patience=int(patience),
    )
