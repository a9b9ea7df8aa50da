"""Feature and target encoding: from a raw DataFrame to float32 matrices.

Fitting uses scikit-learn's ColumnTransformer with SimpleImputer,
StandardScaler, OrdinalEncoder and OneHotEncoder, so the learned values
(means, scales, imputation values, category lists) are the ones those
estimators produce. The fitted values are then kept as plain data in
`ColumnEncoding` objects, which transform with vectorized NumPy code. The
same plain data goes into the model file, so a loaded model encodes a new
file exactly as the fitted one did.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from core.errors import EncodingSpecError, PredictionError
from core.values import category_strings

logger = logging.getLogger(__name__)

ENCODINGS = ("numeric", "ordinal", "onehot", "drop")
NUMERIC_IMPUTE = ("mean", "median", "constant")
CATEGORICAL_IMPUTE = ("most_frequent", "constant")
MISSING_STRATEGIES = ("impute", "drop_rows")

# One-hot columns keep at most this many levels; rarer levels share one
# "(other)" column so a 10,000-category ID column cannot blow up memory.
MAX_ONEHOT_LEVELS = 100
OTHER_LEVEL = "(other)"
MISSING_LEVEL = "(missing)"


@dataclass(frozen=True)
class ColumnSpec:
    """How one feature column is encoded.

    `order` is used by ordinal encoding only and lists the categories from
    the lowest code (0) upwards, as OrdinalEncoder's `categories` does:
    ("F", "D", "C", "B", "A") gives F=0, D=1, C=2, B=3, A=4. `scale`
    standardizes a numeric column to mean 0 and standard deviation 1.
    """

    name: str
    encoding: str
    order: tuple[str, ...] | None = None
    scale: bool = True


@dataclass(frozen=True)
class MissingPolicy:
    """What to do with missing feature values.

    `strategy` is "impute" (fill each column) or "drop_rows" (train only on
    complete rows). Numeric columns are filled with their "mean", "median"
    or the `fill_value` ("constant"); categorical columns with their
    "most_frequent" level or a "(missing)" level of their own ("constant").
    """

    strategy: str = "impute"
    numeric: str = "mean"
    categorical: str = "most_frequent"
    fill_value: float = 0.0


@dataclass
class Problem:
    """A value in one row that keeps that row from being encoded."""

    row: int  # 1-based data row, as a spreadsheet user counts them
    column: str
    value: str
    message: str


@dataclass
class ColumnEncoding:
    """The fitted, plain-data encoding of one feature column."""

    name: str
    encoding: str
    outputs: list[str]
    fill: float | str | None = None
    mean: float = 0.0
    std: float = 1.0
    categories: list[str] = field(default_factory=list)
    other_level: bool = False

    def transform(self, values: pd.Series, out: np.ndarray, problems: list) -> None:
        """Write this column's encoded values into `out` (one column per output)."""
        if self.encoding == "numeric":
            self._transform_numeric(values, out, problems)
        else:
            self._transform_categorical(values, out, problems)

    def _transform_numeric(self, values: pd.Series, out: np.ndarray, problems) -> None:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64, copy=True)
        bad = np.isnan(numbers) & values.notna().to_numpy()
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    int(i) + 1,
                    self.name,
                    str(values.iloc[i]),
                    f"column '{self.name}' expects a number but row {i + 1} "
                    f"has {values.iloc[i]!r}",
                )
            )
        missing = np.isnan(numbers) & ~bad
        if self.fill is None:
            _report_missing(self.name, missing, problems)
        else:
            numbers[missing] = float(self.fill)
        numbers[bad] = 0.0
        out[:, 0] = (numbers - self.mean) / self.std

    def _transform_categorical(self, values: pd.Series, out, problems) -> None:
        text = category_strings(values)
        missing = text.isna().to_numpy()
        if self.fill is None:
            _report_missing(self.name, missing, problems)
            text = text.where(~missing, self.categories[0])
        else:
            text = text.fillna(str(self.fill))
        codes = pd.Index(self.categories).get_indexer(text.to_numpy(dtype=object))
        unseen = codes < 0
        if self.other_level:
            codes = np.where(unseen, len(self.categories), codes)
            unseen[:] = False
        for i in np.flatnonzero(unseen):
            problems.append(self._unseen_problem(int(i), str(text.iloc[i])))
        codes = np.where(unseen, 0, codes)
        if self.encoding == "ordinal":
            out[:, 0] = codes
        else:
            out[np.arange(len(codes)), codes] = 1.0
            out[unseen, :] = 0.0

    def _unseen_problem(self, i: int, value: str) -> Problem:
        if self.encoding == "ordinal":
            known = "known order: " + " < ".join(self.categories)
        else:
            known = "known: " + ", ".join(self.categories)
        message = (
            f"row {i + 1}: {self.name}={value!r} was not seen in training "
            f"({known}); the row is not scored"
        )
        return Problem(i + 1, self.name, value, message)


def _report_missing(name: str, missing: np.ndarray, problems: list) -> None:
    for i in np.flatnonzero(missing):
        problems.append(
            Problem(
                int(i) + 1,
                name,
                "",
                f"row {i + 1}: {name} is missing and the model was trained "
                "without imputation; the row is not scored",
            )
        )


class FeatureEncoder:
    """Encode feature columns as a dense float32 matrix, one column per output.

    Build it with `FeatureEncoder.fit`; `feature_names_` lists the output
    columns, e.g. ``["monthly_fee", "plan_basic", "plan_plus"]``.
    """

    def __init__(self, columns: list[ColumnEncoding], missing: MissingPolicy):
        self.columns_ = columns
        self.missing_ = missing
        self.feature_names_ = [name for c in columns for name in c.outputs]
        self.input_columns_ = [c.name for c in columns]

    @property
    def n_features(self) -> int:
        """Number of output columns the encoder produces."""
        return len(self.feature_names_)

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        specs: list[ColumnSpec],
        missing: MissingPolicy | None = None,
    ) -> FeatureEncoder:
        """Fit the encodings of `specs` on the rows of `frame`.

        Parameters
        ----------
        frame : DataFrame of shape (n_samples, n_columns)
            Raw feature values; columns not named in `specs` are ignored.
        specs : list of ColumnSpec
            One entry per feature column; "drop" entries are skipped.
        missing : MissingPolicy, optional
            How missing values are filled. Defaults to mean / most frequent.

        Returns
        -------
        FeatureEncoder

        Raises
        ------
        EncodingSpecError
            If a column is unknown, an encoding name is invalid, a numeric
            column holds text, an ordinal order misses a value, or no
            feature is left.
        """
        missing = missing or MissingPolicy()
        _check_policy(missing)
        used = _check_specs(frame, specs)
        transformer = _fit_column_transformer(frame, used, missing)
        impute = missing.strategy == "impute"
        columns = [
            _column_encoding(transformer.named_transformers_[f"c{i}"], spec, impute)
            for i, spec in enumerate(used)
        ]
        encoder = cls(columns, missing)
        logger.info(
            "fitted encoder: %d columns -> %d features",
            len(columns),
            encoder.n_features,
        )
        return encoder

    def transform(
        self, frame: pd.DataFrame, problems: list[Problem] | None = None
    ) -> np.ndarray:
        """Encode `frame` into a float32 matrix of shape (n_samples, n_features).

        Values the encoder cannot place (an unseen category, text in a
        numeric column, a missing value without imputation) are appended to
        `problems` when a list is given; their row encodes as zeros in that
        column. Without a list, the first such value raises
        PredictionError.
        """
        self.check_columns(frame)
        collected: list[Problem] = []
        out = np.zeros((len(frame), self.n_features), dtype=np.float32)
        start = 0
        for column in self.columns_:
            width = len(column.outputs)
            block = out[:, start : start + width]
            column.transform(
                frame[column.name].reset_index(drop=True), block, collected
            )
            start += width
        if problems is not None:
            problems.extend(collected)
        elif collected:
            raise PredictionError(collected[0].message)
        return out

    def check_columns(self, frame: pd.DataFrame) -> None:
        """Raise PredictionError naming every input column `frame` lacks."""
        absent = [c for c in self.input_columns_ if c not in frame.columns]
        if absent:
            raise PredictionError(
                "the file lacks the column(s) the model was trained on: "
                + ", ".join(repr(c) for c in absent)
                + ". Add them (same names as in the training file) and try again."
            )

    def preview(self, frame: pd.DataFrame, n_rows: int = 5) -> pd.DataFrame:
        """Return the first `n_rows` encoded rows with named columns."""
        head = frame.head(n_rows)
        X = self.transform(head, problems=[])
        return pd.DataFrame(X, columns=self.feature_names_, index=head.index)

    def describe(self) -> pd.DataFrame:
        """Return a table of each column's fitted encoding, for display."""
        rows = []
        for c in self.columns_:
            if c.encoding == "numeric":
                detail = f"(x - {c.mean:.4g}) / {c.std:.4g}"
            elif c.encoding == "ordinal":
                detail = ", ".join(f"{v}={i}" for i, v in enumerate(c.categories))
            else:
                detail = f"{len(c.outputs)} columns: " + ", ".join(c.outputs[:8])
                detail += ", ..." if len(c.outputs) > 8 else ""
            fill = "" if c.fill is None else str(c.fill)
            rows.append(
                {
                    "column": c.name,
                    "encoding": c.encoding,
                    "fitted": detail,
                    "fill": fill,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted encoder as plain lists, numbers and strings."""
        return {
            "missing": asdict(self.missing_),
            "columns": [asdict(c) for c in self.columns_],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureEncoder:
        """Rebuild an encoder from `to_dict` output."""
        try:
            missing = MissingPolicy(**data["missing"])
            columns = [ColumnEncoding(**c) for c in data["columns"]]
        except (KeyError, TypeError) as exc:
            raise EncodingSpecError(
                f"the stored feature encoding is malformed ({exc}); "
                "save the model again with this version of the app"
            ) from exc
        return cls(columns, missing)


def _check_policy(missing: MissingPolicy) -> None:
    checks = [
        ("missing-value strategy", missing.strategy, MISSING_STRATEGIES),
        ("numeric fill", missing.numeric, NUMERIC_IMPUTE),
        ("categorical fill", missing.categorical, CATEGORICAL_IMPUTE),
    ]
    for label, value, allowed in checks:
        if value not in allowed:
            raise EncodingSpecError(
                f"invalid {label} {value!r}; choose one of {', '.join(allowed)}"
            )


def _check_specs(frame: pd.DataFrame, specs: list[ColumnSpec]) -> list[ColumnSpec]:
    errors = []
    for spec in specs:
        if spec.name not in frame.columns:
            errors.append(f"column {spec.name!r} is not in the data")
        elif spec.encoding not in ENCODINGS:
            errors.append(
                f"column {spec.name!r} has invalid encoding {spec.encoding!r}; "
                f"choose one of {', '.join(ENCODINGS)}"
            )
    if errors:
        raise EncodingSpecError("; ".join(errors))
    used = [s for s in specs if s.encoding != "drop"]
    if not used:
        raise EncodingSpecError(
            "every feature column is set to 'drop'; give at least one column "
            "a numeric, ordinal or onehot encoding"
        )
    return used


def _prepared_column(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    # Numbers as float with NaN for missing; categories as strings with NaN.
    if spec.encoding == "numeric":
        numbers = _numeric_values(values, spec.name)
        if np.isnan(numbers).all():
            raise EncodingSpecError(
                f"column {spec.name!r} has no values at all; set it to 'drop'"
            )
        return pd.Series(numbers, index=values.index)
    text = category_strings(values)
    if text.isna().all():
        raise EncodingSpecError(
            f"column {spec.name!r} has no values at all; set it to 'drop'"
        )
    return text


def _numeric_values(values: pd.Series, name: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        examples = ", ".join(repr(str(v)) for v in values[bad].unique()[:5])
        raise EncodingSpecError(
            f"column {name!r} is set to numeric but has non-numeric values "
            f"{examples} (data rows {', '.join(str(r + 1) for r in rows[:5])}); "
            "choose onehot or ordinal for it, or clean those values"
        )
    return numbers.to_numpy(np.float64)


def _imputer(spec: ColumnSpec, missing: MissingPolicy) -> SimpleImputer:
    if spec.encoding == "numeric":
        return SimpleImputer(strategy=missing.numeric, fill_value=missing.fill_value)
    if missing.categorical == "constant":
        return SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)
    return SimpleImputer(strategy="most_frequent")


def _ordinal_order(text: pd.Series, spec: ColumnSpec, missing: MissingPolicy):
    present = sorted(text.dropna().unique())
    order = [str(v).strip() for v in (spec.order or present)]
    duplicates = sorted({v for v in order if order.count(v) > 1})
    if duplicates:
        raise EncodingSpecError(
            f"the order for {spec.name!r} lists {', '.join(duplicates)} more "
            "than once; give each category once, lowest first"
        )
    constant_fill = missing.strategy == "impute" and missing.categorical == "constant"
    if constant_fill and text.isna().any() and MISSING_LEVEL not in order:
        order = [MISSING_LEVEL, *order]
    absent = [v for v in present if v not in order]
    if absent:
        raise EncodingSpecError(
            f"column {spec.name!r} has value(s) {', '.join(map(repr, absent))} "
            f"that are not in the order you gave ({', '.join(order)}); add them "
            "to the order, lowest first"
        )
    return order


def _column_pipeline(
    column: pd.Series, spec: ColumnSpec, missing: MissingPolicy
) -> Pipeline:
    steps: list[tuple[str, Any]] = [("impute", _imputer(spec, missing))]
    if spec.encoding == "numeric" and spec.scale:
        steps.append(("scale", StandardScaler()))
    elif spec.encoding == "ordinal":
        order = _ordinal_order(column, spec, missing)
        steps.append(("encode", OrdinalEncoder(categories=[order])))
    elif spec.encoding == "onehot":
        # max_categories counts the shared "infrequent" column as one level.
        steps.append(
            (
                "encode",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=MAX_ONEHOT_LEVELS + 1,
                    sparse_output=True,
                ),
            )
        )
    return Pipeline(steps)


def _fit_column_transformer(
    frame: pd.DataFrame, used: list[ColumnSpec], missing: MissingPolicy
) -> ColumnTransformer:
    prepared = pd.DataFrame(
        {f"c{i}": _prepared_column(frame[s.name], s) for i, s in enumerate(used)}
    )
    transformers = [
        (f"c{i}", _column_pipeline(prepared[f"c{i}"], s, missing), [f"c{i}"])
        for i, s in enumerate(used)
    ]
    transformer = ColumnTransformer(transformers, sparse_threshold=1.0)
    return transformer.fit(prepared)


def _column_encoding(
    pipeline: Pipeline, spec: ColumnSpec, impute: bool
) -> ColumnEncoding:
    statistic = pipeline.named_steps["impute"].statistics_[0]
    if spec.encoding == "numeric":
        fill: float | str | None = float(statistic) if impute else None
        if not spec.scale:
            return ColumnEncoding(spec.name, "numeric", [spec.name], fill)
        scaler = pipeline.named_steps["scale"]
        mean, std = float(scaler.mean_[0]), float(scaler.scale_[0])
        return ColumnEncoding(spec.name, "numeric", [spec.name], fill, mean, std)
    fill = str(statistic) if impute else None
    encoder = pipeline.named_steps["encode"]
    categories = [str(v) for v in encoder.categories_[0]]
    if spec.encoding == "ordinal":
        return ColumnEncoding(
            spec.name, "ordinal", [spec.name], fill, categories=categories
        )
    infrequent = encoder.infrequent_categories_[0]
    other = infrequent is not None and len(infrequent) > 0
    if other:
        rare = {str(v) for v in infrequent}
        categories = [c for c in categories if c not in rare]
        logger.warning(
            "column %s has %d categories; keeping the %d most frequent",
            spec.name,
            len(categories) + len(rare),
            len(categories),
        )
    outputs = [f"{spec.name}_{v}" for v in categories]
    if other:
        outputs.append(f"{spec.name}_{OTHER_LEVEL}")
    return ColumnEncoding(
        spec.name, "onehot", outputs, fill, categories=categories, other_level=other
    )
