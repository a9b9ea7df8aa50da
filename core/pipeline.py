"""From a raw DataFrame and the user's choices to a trained model.

`prepare_data` checks the target and the encodings and drops rows that
cannot be used; `fit_classifier` splits the rows, fits the encoder on the
training part only (so validation rows never shape the scaling), trains
the network and returns a `TrainedModel`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.bundle import TrainedModel
from core.encoding import ColumnSpec, FeatureEncoder, MissingPolicy
from core.errors import EncodingSpecError, TargetError
from core.target import TargetEncoding, encode_target
from core.training import EpochRecord, TrainConfig, split_rows, train

logger = logging.getLogger(__name__)

MIN_TRAINING_ROWS = 4


@dataclass
class PreparedData:
    """The usable rows of a dataset, with the encodings chosen for them.

    `frame` holds only rows that have a label (and, with the "drop_rows"
    policy, no missing feature value), re-indexed from 0; `target.y` holds
    their class codes. `encoder` is fitted on all of these rows and serves
    previews only: training refits it on the training split.
    """

    frame: pd.DataFrame
    target: TargetEncoding
    specs: list[ColumnSpec]
    missing: MissingPolicy
    encoder: FeatureEncoder
    notes: list[str] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        """Number of usable rows."""
        return len(self.frame)


def default_specs(frame: pd.DataFrame, target: str, profiles=None) -> list[ColumnSpec]:
    """Suggest one ColumnSpec per feature column of `frame` (all but `target`).

    With column profiles from `core.profiles.profile_columns`, their suggested
    encoding and order are used; without, numbers are numeric and anything
    else one-hot.
    """
    by_name = {p.name: p for p in profiles or []}
    specs = []
    for name in frame.columns:
        if name == target:
            continue
        profile = by_name.get(name)
        if profile is not None:
            order = getattr(profile, "suggested_order", None)
            specs.append(ColumnSpec(name, profile.suggested_encoding, order))
        elif pd.api.types.is_numeric_dtype(frame[name]):
            specs.append(ColumnSpec(name, "numeric"))
        else:
            specs.append(ColumnSpec(name, "onehot"))
    return specs


def prepare_data(
    frame: pd.DataFrame,
    target: str,
    specs: list[ColumnSpec],
    missing: MissingPolicy | None = None,
    pos_label: str | None = None,
) -> PreparedData:
    """Check the choices against `frame` and keep the usable rows.

    Raises
    ------
    TargetError
        If `target` is not a column or its labels are unusable.
    EncodingSpecError
        If an encoding does not fit its column, or the target is also used
        as a feature.
    """
    missing = missing or MissingPolicy()
    if target not in frame.columns:
        raise TargetError(
            f"target column {target!r} is not in the data; choose one of "
            + ", ".join(repr(str(c)) for c in frame.columns)
        )
    features = [s for s in specs if s.name != target or s.encoding == "drop"]
    if len(features) < len(specs):
        raise EncodingSpecError(
            f"the target {target!r} is also listed as a feature; set it to 'drop'"
        )
    encoded = encode_target(frame[target], pos_label)
    notes = [encoded.missing_note()] if encoded.n_missing else []
    kept = frame.loc[encoded.keep].reset_index(drop=True)
    y = encoded.y
    if missing.strategy == "drop_rows":
        kept, y, note = _drop_incomplete_rows(kept, y, specs)
        notes += [note] if note else []
    if len(kept) < MIN_TRAINING_ROWS:
        raise TargetError(
            f"only {len(kept)} usable rows are left (at least {MIN_TRAINING_ROWS} "
            "are needed); add rows or impute missing values instead of dropping rows"
        )
    if len(np.unique(y)) < 2:
        raise TargetError(
            f"after removing rows, target {target!r} has only one class left; "
            "impute missing values instead of dropping rows"
        )
    target_encoding = _with_rows(encoded, y)
    encoder = FeatureEncoder.fit(kept, specs, missing)
    return PreparedData(kept, target_encoding, list(specs), missing, encoder, notes)


def _drop_incomplete_rows(frame: pd.DataFrame, y: np.ndarray, specs):
    used = [s.name for s in specs if s.encoding != "drop" and s.name in frame]
    complete = frame[used].notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    note = ""
    if n_dropped:
        note = f"{n_dropped} rows with a missing feature value were dropped"
    return frame.loc[complete].reset_index(drop=True), y[complete], note


def _with_rows(encoded: TargetEncoding, y: np.ndarray) -> TargetEncoding:
    return TargetEncoding(
        encoded.name,
        y,
        encoded.classes_,
        encoded.pos_label,
        encoded.keep,
        encoded.missing_rows,
    )


def fit_classifier(
    prepared: PreparedData,
    config: TrainConfig,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    stop_event: threading.Event | None = None,
    dataset_name: str = "",
) -> TrainedModel:
    """Split, encode and train; return the model with its validation results.

    The encoder is refitted on the training rows only. The returned model's
    `status` and `message` say how training ended (see TrainResult).
    """
    y = prepared.target.y
    train_idx, valid_idx = split_rows(y, config.validation_share, config.seed)
    train_frame = prepared.frame.iloc[train_idx]
    encoder = FeatureEncoder.fit(train_frame, prepared.specs, prepared.missing)
    X_train = encoder.encode(train_frame)
    # A level seen only in validation rows encodes as no 1 in its one-hot
    # block, as OneHotEncoder(handle_unknown="ignore") does.
    X_valid = encoder.encode(prepared.frame.iloc[valid_idx], problems=[])
    result = train(
        X_train,
        y[train_idx],
        X_valid,
        y[valid_idx],
        prepared.target.n_classes,
        config,
        on_epoch,
        stop_event,
    )
    return TrainedModel(
        network=result.network,
        encoder=encoder,
        target_name=prepared.target.name,
        classes_=list(prepared.target.classes_),
        pos_label=prepared.target.pos_label,
        config=config,
        history=result.history,
        y_valid=y[valid_idx],
        valid_proba=result.valid_proba,
        status=result.status,
        message=result.message,
        dataset_name=dataset_name,
    )
