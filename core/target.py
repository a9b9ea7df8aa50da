"""Target encoding: class labels of any type mapped to codes 0..K-1.

Labels are compared as the strings `core.values.category_strings` makes,
so 1, 1.0 and "1" are the same class, and TRUE/FALSE read by pandas as
booleans become "True" / "False". Spaces around a label are ignored, a
blank label counts as missing, and labels that differ only in upper and
lower case ("Yes", "yes", "YES") are one class, named by its most common
spelling (on a tie, the lower-case one). Numeric labels sort as numbers
(2 before 10). For two classes the positive class gets code 1 and the
other code 0.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import TargetError
from core.values import category_strings, factorize_categories

logger = logging.getLogger(__name__)

MAX_CLASSES = 50

# Labels that read as "the event happened", offered first as the positive class.
_POSITIVE_WORDS = ("yes", "true", "y", "positive", "pos", "ja", "si", "oui")
# Integer labels that _number_forms keeps as written: those already in
# category_strings' form, and codes with leading zeros.
_KEEP_AS_WRITTEN = re.compile(r"-?(0|[1-9]\d*)|[+-]?0\d+")


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
        1-based data rows whose label is missing or blank.
    merged : dict of str to list of str
        For each class written in more than one upper/lower case spelling,
        the other spellings that were read as that class.
    """

    name: str
    y: np.ndarray
    classes_: list[str]
    pos_label: str | None
    keep: np.ndarray
    missing_rows: list[int]
    merged: dict[str, list[str]] = field(default_factory=dict)

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

    def missing_note(self, left_out_of: str = "training") -> str:
        """Describe the excluded rows, or return "" when none were excluded.

        `left_out_of` names what the rows are left out of, such as "scoring".
        """
        if not self.missing_rows:
            return ""
        shown = _join_rows(self.missing_rows)
        noun = "row has" if self.n_missing == 1 else "rows have"
        return (
            f"{self.n_missing} {noun} no target value (data {shown}); "
            f"they are left out of {left_out_of}"
        )

    def merge_note(self) -> str:
        """Describe the labels merged by case, or return "" when none were."""
        if not self.merged:
            return ""
        parts = [
            f"{', '.join(map(repr, others))} as {label!r}"
            for label, others in self.merged.items()
        ]
        return (
            "labels that differ only in upper and lower case are one class: "
            f"{'; '.join(parts)} (each class is named by its most common spelling)"
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


@dataclass(frozen=True)
class _Labels:
    """Per-row class labels after the rules in the module docstring."""

    codes: np.ndarray  # index into `classes` per row; -1 when missing
    classes: list[str]  # sorted as sorted_classes describes
    counts: np.ndarray  # rows per class
    merged: dict[str, list[str]]


def _read_labels(series: pd.Series) -> _Labels:
    # Only the distinct strings are examined, so a million rows cost one
    # factorize pass.
    codes, distinct = factorize_categories(series)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    names = _number_forms(distinct)
    names, merged = _merge_case(names, counts)
    classes = _sort_labels({n for n in names if n})
    index = {label: i for i, label in enumerate(classes)}
    lookup = np.array([index.get(n, -1) for n in names] + [-1], dtype=np.int64)
    row_codes = lookup[codes]  # code -1 (missing) reads the last entry
    class_counts = np.bincount(row_codes[row_codes >= 0], minlength=len(classes))
    return _Labels(row_codes, classes, class_counts, merged)


def _number_forms(distinct: list[str]) -> list[str]:
    """Write number labels in one form, so "1.0" and "1" are one class.

    Integers already in that form are kept as written, because a float
    cannot hold every integer above 2**53 exactly, and so are integers
    with leading zeros such as "007", which are codes rather than numbers.
    """
    numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    written = category_strings(numbers.astype(float)).tolist()
    return [
        form if isinstance(form, str) and not _KEEP_AS_WRITTEN.fullmatch(v) else v
        for v, form in zip(distinct, written, strict=True)
    ]


def _merge_case(
    names: list[str], counts: np.ndarray
) -> tuple[list[str], dict[str, list[str]]]:
    """Map spellings that differ only in case to the most common one."""
    totals: dict[str, int] = {}
    for name, count in zip(names, counts, strict=True):
        totals[name] = totals.get(name, 0) + int(count)
    groups: dict[str, list[str]] = {}
    for name in sorted(totals):
        groups.setdefault(name.casefold(), []).append(name)
    chosen: dict[str, str] = {}
    merged: dict[str, list[str]] = {}
    for spellings in groups.values():
        # Most rows first; on a tie, the lower-case spelling, and then the
        # first in sorted order.
        best = min(spellings, key=lambda n: (-totals[n], n != n.lower(), n))
        chosen.update({n: best for n in spellings})
        if len(spellings) > 1:
            merged[best] = [n for n in spellings if n != best]
    return [chosen[n] for n in names], merged


def _sort_labels(labels: set[str]) -> list[str]:
    unique = sorted(labels)
    numbers = pd.to_numeric(pd.Series(unique, dtype=object), errors="coerce")
    if unique and numbers.notna().all():
        order = np.argsort(numbers.to_numpy(dtype=float), kind="stable")
        return [unique[i] for i in order]
    return unique


def sorted_classes(series: pd.Series) -> list[str]:
    """Return the distinct labels of `series` as strings, sorted.

    Numeric labels sort by value, booleans as False, True, and anything
    else as text. Labels are merged as the module docstring describes.
    """
    return _read_labels(series).classes


def default_pos_label(classes: list[str], counts: dict[str, int]) -> str:
    """Pick the positive class to offer first.

    That is a yes-like label, then "1" against "0", then the minority class
    (on a tie, the later of the sorted labels, so codes keep the sort order).
    """
    for word in _POSITIVE_WORDS:
        for label in classes:
            if label.lower() == word:
                return label
    if sorted(classes) in (["0", "1"], ["-1", "1"]):
        return "1"
    return min(classes, key=lambda c: (counts.get(c, 0), -classes.index(c)))


def target_candidates(series: pd.Series) -> tuple[list[str], str | None]:
    """Return the sorted classes of `series` and the default positive class.

    The default is None unless there are exactly two classes.
    """
    labels = _read_labels(series)
    return labels.classes, _default_for(labels)


def _default_for(labels: _Labels) -> str | None:
    if len(labels.classes) != 2:
        return None
    counts = dict(zip(labels.classes, labels.counts.tolist(), strict=True))
    return default_pos_label(labels.classes, counts)


def encode_target(series: pd.Series, pos_label: str | None = None) -> TargetEncoding:
    """Map the labels in `series` to class codes 0..K-1.

    Parameters
    ----------
    series : Series of shape (n_rows,)
        Raw labels of any type; missing and blank labels are left out and
        counted.
    pos_label : str, optional
        For two classes, the label that gets code 1. Defaults to a yes-like
        label, "1" against "0" or "-1", or else the minority class.

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
    labels = _read_labels(series)
    keep = labels.codes >= 0
    missing_rows = [int(i) + 1 for i in np.flatnonzero(~keep)]
    classes = labels.classes
    _check_class_count(name, classes, int(keep.sum()))
    codes = labels.codes[keep]
    if len(classes) == 2:
        pos_label = _check_pos_label(name, classes, pos_label, _default_for(labels))
        if classes[1] != pos_label:
            classes = [classes[1], classes[0]]
            codes = 1 - codes
    else:
        pos_label = None
    logger.info("target %s: %d classes, %d rows", name, len(classes), len(codes))
    return TargetEncoding(
        name,
        codes.astype(np.int64),
        classes,
        pos_label,
        keep,
        missing_rows,
        labels.merged,
    )


def _check_class_count(name: str, classes: list[str], n_labels: int) -> None:
    if len(classes) == 0:
        raise TargetError(
            f"target column {name!r} has no values; choose another target column"
        )
    if len(classes) == 1:
        raise TargetError(
            f"target column {name!r} has only one class ({classes[0]!r}) in "
            f"{n_labels} rows; a classifier needs at least two classes, so "
            "choose another target or add rows of another class"
        )
    if len(classes) > MAX_CLASSES:
        raise TargetError(
            f"target column {name!r} has {len(classes)} distinct values (limit "
            f"{MAX_CLASSES}); it looks like a number to predict or an ID, not "
            "a class label. Choose a column of class labels, or bin the values"
        )


def _check_pos_label(
    name: str, classes: list[str], pos_label: object, default: str | None
) -> str:
    """Return the class that `pos_label` names, written as in `classes`.

    None, NaN and a blank string mean the default.
    """
    label = None
    if pos_label is not None:
        (label,) = category_strings(pd.Series([pos_label], dtype=object)).tolist()
    if not isinstance(label, str) or not label:
        return default if default is not None else classes[-1]
    # The same rules as for the labels: 1.0 names "1", "Yes" names "yes".
    (label,) = _number_forms([label])
    matches = [c for c in classes if c.casefold() == label.casefold()]
    if label in classes:
        return label
    if len(matches) == 1:
        return matches[0]
    raise TargetError(
        f"positive class {label!r} is not a value of {name!r}; "
        f"choose one of {', '.join(map(repr, classes))}"
    )


def encode_model_labels(
    series: pd.Series, classes_: list[str], pos_label: str | None = None
) -> TargetEncoding:
    """Map the labels in `series` to the class codes of a trained model.

    The labels are read as for training (numbers in one form, spaces
    ignored, blanks missing) and matched to `classes_` exactly or, failing
    that, ignoring upper and lower case. Unlike `encode_target`, a file may
    hold only some of the model's classes, even just one, because scoring
    a model on such a file is valid.

    Parameters
    ----------
    series : Series of shape (n_rows,)
        Raw labels of any type.
    classes_ : list of str
        The model's classes in code order.
    pos_label : str, optional
        The model's positive class; stored on the result for binary models.

    Returns
    -------
    TargetEncoding
        With the model's `classes_`, so ``y`` contains the model's codes.

    Raises
    ------
    TargetError
        If no row has a label, or a label matches none of `classes_`.
    """
    name = str(series.name)
    labels = _read_labels(series)
    exact = {label: code for code, label in enumerate(classes_)}
    folded = {label.casefold(): code for code, label in enumerate(classes_)}
    lookup = []
    unknown = []
    for label in labels.classes:
        code = exact.get(label, folded.get(label.casefold()))
        if code is None:
            unknown.append(label)
            code = -1
        lookup.append(code)
    if unknown:
        raise TargetError(
            f"target column {name!r} has labels the model was not trained on: "
            f"{', '.join(map(repr, unknown))}. The model knows "
            f"{', '.join(map(repr, classes_))}; rename those labels or remove "
            "their rows"
        )
    keep = labels.codes >= 0
    if not keep.any():
        raise TargetError(
            f"target column {name!r} has no values; fill in the labels to "
            "score the model"
        )
    codes = np.asarray(lookup, dtype=np.int64)[labels.codes[keep]]
    missing_rows = [int(i) + 1 for i in np.flatnonzero(~keep)]
    return TargetEncoding(
        name,
        codes,
        list(classes_),
        pos_label if len(classes_) == 2 else None,
        keep,
        missing_rows,
        labels.merged,
    )
