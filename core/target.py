"""Target encoding: class labels of any type mapped to codes 0..K-1.

Labels are compared as the strings `core.values.category_strings` makes,
so 1, 1.0 and "1" are the same class, and TRUE/FALSE read by pandas as
booleans become "True" / "False". Numeric labels sort as numbers (2 before
10). For two classes the positive class gets code 1 and the other code 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import TargetError
from core.values import category_strings

logger = logging.getLogger(__name__)

MAX_CLASSES = 50

# Labels that read as "the event happened", offered first as the positive class.
_POSITIVE_WORDS = ("yes", "true", "y", "positive", "pos", "ja", "si", "oui")


@dataclass
class TargetEncoding:
    """Encoded target of the rows that have a label.

    Attributes
    ----------
    y : ndarray of shape (n_kept,), int64
        Class codes 0..K-1 of the kept rows.
    classes_ : list of str
        Original labels in code order: ``classes_[code]`` is the label.
    pos_label : str or None
        The positive class of a binary target (code 1); None for K > 2.
    keep : ndarray of shape (n_rows,), bool
        Which input rows have a label.
    missing_rows : list of int
        1-based data rows whose label is missing.
    """

    name: str
    y: np.ndarray
    classes_: list[str]
    pos_label: str | None
    keep: np.ndarray
    missing_rows: list[int]

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.classes_)

    @property
    def is_binary(self) -> bool:
        """Whether the target has exactly two classes."""
        return self.n_classes == 2

    @property
    def n_missing(self) -> int:
        """Number of rows excluded because their label is missing."""
        return len(self.missing_rows)

    def missing_note(self) -> str:
        """Describe the excluded rows, or return "" when none were excluded."""
        if not self.missing_rows:
            return ""
        shown = _join_rows(self.missing_rows)
        noun = "row has" if self.n_missing == 1 else "rows have"
        return (
            f"{self.n_missing} {noun} no target value (data {shown}); "
            "they are left out of training"
        )

    def mapping_frame(self) -> pd.DataFrame:
        """Return the label -> code table with the count of each class."""
        counts = np.bincount(self.y, minlength=self.n_classes)
        roles = [""] * self.n_classes
        if self.is_binary:
            roles = ["negative", "positive"]
        return pd.DataFrame(
            {
                "label": self.classes_,
                "code": range(self.n_classes),
                "rows": counts,
                "role": roles,
            }
        )


def _join_rows(rows: list[int], limit: int = 10) -> str:
    word = "row" if len(rows) == 1 else "rows"
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > 2 and len(rows) <= limit:
        head, last = shown.rsplit(", ", 1)
        shown = f"{head} and {last}"
    elif len(rows) == 2:
        shown = f"{rows[0]} and {rows[1]}"
    elif len(rows) > limit:
        shown += f" and {len(rows) - limit} more"
    return f"{word} {shown}"


def sorted_classes(series: pd.Series) -> list[str]:
    """Return the distinct labels of `series` as strings, sorted.

    Numeric labels sort by value, booleans as False, True, and anything
    else as text.
    """
    values = series.dropna()
    labels = category_strings(values)
    unique = pd.unique(labels.to_numpy(dtype=object))
    numbers = pd.to_numeric(pd.Series(unique), errors="coerce")
    if len(unique) and numbers.notna().all():
        order = np.argsort(numbers.to_numpy(), kind="stable")
        return [str(unique[i]) for i in order]
    return sorted(str(v) for v in unique)


def default_pos_label(classes: list[str], counts: dict[str, int]) -> str:
    """Pick the positive class to offer first.

    That is a yes-like label, then "1" against "0", then the minority class
    (on a tie, the later of the sorted labels, so codes keep the sort order).
    """
    for word in _POSITIVE_WORDS:
        for label in classes:
            if label.lower() == word:
                return label
    if sorted(classes) == ["0", "1"]:
        return "1"
    return min(classes, key=lambda c: (counts.get(c, 0), -classes.index(c)))


def target_candidates(series: pd.Series) -> tuple[list[str], str | None]:
    """Return the sorted classes of `series` and the default positive class.

    The default is None unless there are exactly two classes.
    """
    classes = sorted_classes(series)
    if len(classes) != 2:
        return classes, None
    counts = category_strings(series.dropna()).value_counts().to_dict()
    return classes, default_pos_label(classes, counts)


def encode_target(series: pd.Series, pos_label: str | None = None) -> TargetEncoding:
    """Map the labels in `series` to class codes 0..K-1.

    Parameters
    ----------
    series : Series of shape (n_rows,)
        Raw labels of any type; missing labels are left out and counted.
    pos_label : str, optional
        For two classes, the label that gets code 1. Defaults to a yes-like
        label or the minority class.

    Returns
    -------
    TargetEncoding

    Raises
    ------
    TargetError
        If fewer than two classes remain, there are more than MAX_CLASSES,
        or `pos_label` is not one of the classes.
    """
    name = str(series.name)
    labels = category_strings(series).reset_index(drop=True)
    keep = labels.notna().to_numpy()
    missing_rows = [int(i) + 1 for i in np.flatnonzero(~keep)]
    classes, default = target_candidates(series)
    _check_class_count(name, classes, labels[keep])
    if len(classes) == 2:
        pos_label = _check_pos_label(name, classes, pos_label or default)
        classes = [c for c in classes if c != pos_label] + [pos_label]
    else:
        pos_label = None
    codes = pd.Index(classes).get_indexer(labels[keep].to_numpy(dtype=object))
    logger.info("target %s: %d classes, %d rows", name, len(classes), len(codes))
    return TargetEncoding(
        name, codes.astype(np.int64), classes, pos_label, keep, missing_rows
    )


def _check_class_count(name: str, classes: list[str], labels: pd.Series) -> None:
    if len(classes) == 0:
        raise TargetError(
            f"target column {name!r} has no values; choose another target column"
        )
    if len(classes) == 1:
        raise TargetError(
            f"target column {name!r} has only one class ({classes[0]!r}) in "
            f"{len(labels)} rows; a classifier needs at least two classes, so "
            "choose another target or add rows of another class"
        )
    if len(classes) > MAX_CLASSES:
        raise TargetError(
            f"target column {name!r} has {len(classes)} distinct values (limit "
            f"{MAX_CLASSES}); it looks like a number to predict or an ID, not "
            "a class label. Choose a column of class labels, or bin the values"
        )


def _check_pos_label(name: str, classes: list[str], pos_label: str) -> str:
    label = str(pos_label)
    if label not in classes:
        raise TargetError(
            f"positive class {label!r} is not a value of {name!r}; "
            f"choose one of {', '.join(map(repr, classes))}"
        )
    return label
