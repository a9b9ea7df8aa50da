"""From a raw DataFrame and the user's choices to a trained model.

`prepare_data` checks the target and the encodings and drops rows that
cannot be used; `fit_classifier` splits the rows, fits the encoder on the
training part only (so validation rows never shape the scaling), trains
the network and returns a `TrainedModel`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.bundle import TrainedModel
from core.encoding import (
    FLOAT32_MAX,
    MAX_ONEHOT_LEVELS,
    OTHER_LEVEL,
    ColumnSpec,
    FeatureEncoder,
    MissingPolicy,
)
from core.errors import EncodingSpecError, TargetError
from core.profiles import ColumnProfile
from core.target import TargetEncoding, encode_target
from core.training import EpochRecord, TrainConfig, split_rows, train

logger = logging.getLogger(__name__)

MIN_TRAINING_ROWS = 4


@dataclass
class PreparedData:
    """The usable rows of a dataset, with the encodings chosen for them.

    `frame` contains only rows that have a label (and, with the "drop_rows"
    policy, no missing feature value), re-indexed from 0; `target.y` contains
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


def default_specs(
    frame: pd.DataFrame,
    target: str,
    profiles: Iterable[ColumnProfile] | None = None,
) -> list[ColumnSpec]:
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

    Rows without a target value are left out. Numeric features must hold
    finite numbers within float32's range: "inf" (which pandas reads as
    infinity) and text are reported with their data rows, rather than
    clipped or imputed, so that no value changes silently.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The data, for example `CSVTable.frame`.
    target : str
        Name of the label column.
    specs : list of ColumnSpec
        One encoding per feature column; the target may appear only as "drop".
    missing : MissingPolicy, optional
        How missing feature values are handled. Defaults to imputation.
    pos_label : str, optional
        Positive class of a two-class target.

    Returns
    -------
    PreparedData

    Raises
    ------
    TargetError
        If `target` is not a column or its labels are unusable.
    EncodingSpecError
        If there is no feature column, an encoding does not fit its column,
        or the target is also used as a feature.
    """
    missing = missing or MissingPolicy()
    _check_columns(frame, target, specs)
    encoded = encode_target(frame[target], pos_label)
    notes = [note for note in (encoded.missing_note(), encoded.merge_note()) if note]
    problems = _numeric_problems(frame, specs, encoded.keep)
    if problems:
        raise EncodingSpecError("; ".join(problems))
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
    notes += _capped_notes(encoder)
    specs = _with_ordinal_orders(specs, encoder)
    return PreparedData(kept, target_encoding, specs, missing, encoder, notes)


def _with_ordinal_orders(
    specs: list[ColumnSpec], encoder: FeatureEncoder
) -> list[ColumnSpec]:
    # Training refits on the training split only. An ordinal column without
    # an order would then learn only the training rows' levels, and a level
    # seen only in validation rows would be coded 0 like the lowest one. The
    # order learned from all usable rows avoids that.
    orders = {c.name: tuple(c.categories) for c in encoder.columns_}
    return [
        replace(spec, order=orders[spec.name])
        if spec.encoding == "ordinal" and spec.order is None
        else spec
        for spec in specs
    ]


def _check_columns(frame: pd.DataFrame, target: str, specs: list[ColumnSpec]) -> None:
    columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        raise TargetError(
            f"target column {target!r} is not in the data; choose one of "
            + ", ".join(repr(c) for c in columns)
        )
    if columns.count(target) > 1:
        raise TargetError(
            f"the data has {columns.count(target)} columns named {target!r}; "
            "give each column a unique name"
        )
    if len(columns) == 1:
        raise EncodingSpecError(
            f"the data has only the target column {target!r} and no feature "
            "column to predict it from; add feature columns to the file"
        )
    if any(s.name == target and s.encoding != "drop" for s in specs):
        raise EncodingSpecError(
            f"the target {target!r} is also listed as a feature; set it to 'drop'"
        )
    names = [s.name for s in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise EncodingSpecError(
            "each column takes one encoding, but "
            + ", ".join(repr(n) for n in repeated)
            + " is listed more than once; keep one entry per column"
        )


def _numeric_problems(
    frame: pd.DataFrame, specs: list[ColumnSpec], keep: np.ndarray
) -> list[str]:
    """Describe text and non-finite values in numeric features, by data row."""
    problems = []
    rows = np.flatnonzero(keep) + 1
    columns = list(frame.columns)
    for spec in specs:
        if spec.encoding != "numeric" or columns.count(spec.name) != 1:
            continue  # FeatureEncoder.fit reports these specs
        values = frame[spec.name].reset_index(drop=True)[keep]
        numbers = pd.to_numeric(values, errors="coerce")
        text = (numbers.isna() & values.notna()).to_numpy()
        if text.any():
            examples = ", ".join(repr(str(v)) for v in pd.unique(values[text])[:5])
            problems.append(
                f"column {spec.name!r} is set to numeric but has non-numeric "
                f"values {examples} ({_rows(rows[text])}); choose onehot or "
                "ordinal for it, or clean those values"
            )
        with np.errstate(invalid="ignore"):
            too_large = np.abs(numbers.to_numpy(np.float64)) > FLOAT32_MAX
        if too_large.any():
            found = pd.unique(numbers.to_numpy(np.float64)[too_large])[:5]
            problems.append(
                f"column {spec.name!r} has infinite or too large values "
                f"{', '.join(f'{v:g}' for v in found)} ({_rows(rows[too_large])}), "
                "but the network computes with float32 numbers up to about "
                "3.4e38; replace them with finite numbers, clear them so they "
                "are filled in, or set the column to 'drop'"
            )
    return problems


def _rows(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    word = "data row" if len(rows) == 1 else "data rows"
    return f"{word} {shown}{more}"


def _capped_notes(encoder: FeatureEncoder) -> list[str]:
    return [
        f"column {c.name!r} has more than {MAX_ONEHOT_LEVELS} categories, so "
        f"one-hot encoding keeps the {MAX_ONEHOT_LEVELS} most frequent and "
        f"puts the rest in {c.name + '_' + OTHER_LEVEL!r}"
        for c in encoder.columns_
        if c.encoding == "onehot" and c.other_level
    ]


def _drop_incomplete_rows(
    frame: pd.DataFrame, y: np.ndarray, specs: list[ColumnSpec]
) -> tuple[pd.DataFrame, np.ndarray, str]:
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
        encoded.merged,
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
    `status` and `message` describe how training ended (see TrainResult).
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
