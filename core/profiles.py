"""Column profiles: what kind each column is and how to encode it.

`profile_columns` describes each column of a parsed CSV (its kind,
missing and distinct values, a few examples) and suggests an encoding and,
for ordered scales such as letter grades, an order.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

# The profile notes recognize decimal commas and thousands separators by
# the rules of the CSV reader, so that both describe a column alike.
from core.csv_numbers import _grouped_text_reason, _is_grouped_number
from core.data import _COMMA_DECIMAL_TEXT, _all_numbers, _count
from core.encoding import MAX_ONEHOT_LEVELS, OTHER_LEVEL
from core.values import category_strings

# Kinds of column that profile_columns reports.
KINDS = ("numeric", "categorical", "boolean", "text", "datetime", "constant", "empty")
MAX_CATEGORIES = 50
# The kind checks of a text column look at its first this many distinct values.
_HEAD_SIZE = 1000
# A text column needs more distinct values than this, and an integer column
# more rows, to be read as an ID.
_ID_MIN_COUNT = 20
# A categorical column with more levels than this gets a note on the width
# of its one-hot encoding, and is not checked for an ordinal scale.
_MANY_LEVELS = 20
_BOOLEAN_PAIRS = (
    frozenset({"yes", "no"}),
    frozenset({"true", "false"}),
    frozenset({"y", "n"}),
    frozenset({"0", "1"}),
)
# Ordered scales, lowest first. A column whose lower-cased categories all
# come from one scale is suggested as ordinal in this order.
_ORDERED_SCALES = (
    ("none", "very low", "low", "medium", "high", "very high"),
    ("low", "mid", "high"),
    ("low", "moderate", "high"),
    ("xs", "s", "m", "l", "xl", "xxl"),
    ("small", "medium", "large"),
    ("poor", "fair", "good", "very good", "excellent"),
    ("never", "rarely", "sometimes", "often", "always"),
    ("strongly disagree", "disagree", "neutral", "agree", "strongly agree"),
    ("beginner", "intermediate", "advanced", "expert"),
)
_LETTER_GRADE = re.compile(r"([A-F])([+-]?)")
# Words in a column name that mark codes rather than quantities.
_ID_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "key", "code", "zip", "zipcode", "postcode"}
)
# Splits "customerID", "store_id" and "PostCode" into words.
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_DATE_TEXT = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{1,2} [A-Za-z]{3,9}\.? \d{4}"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
)


@dataclass(frozen=True)
class ColumnProfile:
    """Summary of one column's values, with a suggested encoding.

    Attributes
    ----------
    name : str
        Column name.
    kind : str
        One of "numeric", "categorical", "boolean", "text" (an ID or free
        text), "datetime", "constant" and "empty" (every value missing).
    dtype : str
        The pandas dtype, such as "int64", "float64", "str" or "bool".
    n_missing : int
        Number of missing values.
    n_distinct : int
        Number of distinct category strings among the non-missing values.
    examples : list of str
        Up to five distinct values, in order of first appearance.
    suggested_encoding : str
        One of "numeric", "ordinal", "onehot" and "drop".
    categories : list of str
        Distinct category strings (see `core.values.category_strings`),
        sorted, at most 50. Numbers sort by value, other strings
        alphabetically.
    note : str
        Why the kind or the encoding was chosen, or what to check.
    suggested_order : tuple of str or None
        For "ordinal": the categories from lowest to highest.
    """

    name: str
    kind: str
    dtype: str
    n_missing: int
    n_distinct: int
    examples: list[str]
    suggested_encoding: str
    categories: list[str]
    note: str = ""
    suggested_order: tuple[str, ...] | None = None


def profile_columns(
    frame: pd.DataFrame, *, delimiter: str | None = None
) -> list[ColumnProfile]:
    """Describe each column and suggest how to encode it.

    The first matching kind wins, in this order:

    - "empty": every value is missing.
    - "constant": one distinct value.
    - "boolean": bool dtype, or two values such as yes/no, true/false,
      y/n or 0/1.
    - "numeric": a number dtype. An integer column with unique increasing
      values in more than 20 rows is a row ID and becomes "text", and so
      does an integer column with unique values whose name says ID (such
      as customer_id or ZipCode). With repeated values, such a column is
      "categorical": its numbers are codes without an order.
    - "categorical", when a text column is mostly numbers with a few
      other values, or numbers that `core.data.read_csv` keeps as text
      (decimal commas in a decimal-point file, mixed or ambiguous
      thousands separators). Its note names those values.
    - "datetime": the values are dates.
    - "text": more than 20 distinct values, which are more than half of
      the values (an ID or free text).
    - "categorical" otherwise.

    Numbers are suggested as numeric, and booleans and categories as
    one-hot. Letter grades and scales such as low/medium/high are
    suggested as ordinal, with `suggested_order` lowest first. Text,
    dates, constant and empty columns are suggested to be dropped, and so
    is a number column that contains inf or -inf, because numeric encoding
    rejects those values.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data, for example `CSVTable.frame`.
    delimiter : str, optional
        The file's delimiter, `CSVTable.delimiter`. A note on a column of
        decimal commas suggests the delimiter ";" only for a
        comma-separated file, and so only when this is ",".

    Returns
    -------
    list of ColumnProfile
        One profile per column, in column order.
    """
    return [
        _profile_column(str(column), frame.iloc[:, position], delimiter)
        for position, column in enumerate(frame.columns)
    ]


def profiles_frame(profiles: list[ColumnProfile]) -> pd.DataFrame:
    """Arrange profiles as a table for display.

    Parameters
    ----------
    profiles : list of ColumnProfile
        Output of `profile_columns`.

    Returns
    -------
    pandas.DataFrame
        Columns column, kind, dtype, missing, distinct, examples, suggested
        and note, one row per profile.
    """
    rows = [
        {
            "column": profile.name,
            "kind": profile.kind,
            "dtype": profile.dtype,
            "missing": profile.n_missing,
            "distinct": profile.n_distinct,
            "examples": ", ".join(profile.examples),
            "suggested": _suggestion_text(profile),
            "note": profile.note,
        }
        for profile in profiles
    ]
    columns = [
        "column",
        "kind",
        "dtype",
        "missing",
        "distinct",
        "examples",
        "suggested",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def _suggestion_text(profile: ColumnProfile) -> str:
    if profile.suggested_order:
        return f"ordinal ({' < '.join(profile.suggested_order)})"
    return profile.suggested_encoding


@dataclass(frozen=True)
class _Distinct:
    """Distinct category strings of a column's non-missing values."""

    count: int
    # The first values in order of appearance, enough for every check in
    # _classify, and the lowest values in sorted order.
    head: list[str]
    lowest: list[str]


def _profile_column(
    name: str, series: pd.Series, delimiter: str | None
) -> ColumnProfile:
    present = series.dropna()
    n_missing = len(series) - len(present)
    if present.empty:
        return ColumnProfile(
            name=name,
            kind="empty",
            dtype=str(series.dtype),
            n_missing=n_missing,
            n_distinct=0,
            examples=[],
            suggested_encoding="drop",
            categories=[],
            note=f"All {_count(len(series), 'value')} are missing.",
        )
    distinct = _distinct(present)
    kind, encoding, note, order = _classify(name, series, present, distinct, delimiter)
    case_note = _case_note(distinct.head)
    if case_note:
        note = f"{note} {case_note}".strip()
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=str(series.dtype),
        n_missing=n_missing,
        n_distinct=distinct.count,
        examples=distinct.head[:5],
        suggested_encoding=encoding,
        categories=distinct.lowest,
        note=note,
        suggested_order=order,
    )


def _distinct(present: pd.Series) -> _Distinct:
    """Find the distinct category strings without converting every value."""
    uniques = pd.Series(pd.unique(present), dtype=present.dtype)
    if _is_number_dtype(present.dtype):
        # Distinct numbers have distinct category strings, so only the
        # strings that are shown need to be made. Numbers sort by value.
        return _Distinct(
            count=len(uniques),
            head=category_strings(uniques.iloc[:_HEAD_SIZE]).tolist(),
            lowest=category_strings(
                uniques.sort_values().iloc[:MAX_CATEGORIES]
            ).tolist(),
        )
    if isinstance(present.dtype, pd.StringDtype):
        # The same strings that category_strings makes from str values, in
        # one vectorized call.
        strings = uniques.str.strip()
    else:
        strings = category_strings(uniques)
    strings = strings.drop_duplicates()
    return _Distinct(
        count=len(strings),
        head=strings.iloc[:_HEAD_SIZE].tolist(),
        lowest=strings.sort_values().iloc[:MAX_CATEGORIES].tolist(),
    )


def _is_number_dtype(dtype: object) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


_Classification = tuple[str, str, str, tuple[str, ...] | None]


def _classify(
    name: str,
    series: pd.Series,
    present: pd.Series,
    distinct: _Distinct,
    delimiter: str | None,
) -> _Classification:
    """Return kind, suggested encoding, note and ordinal order of a column."""
    head = distinct.head
    if distinct.count == 1:
        return "constant", "drop", _constant_note(series, head[0]), None
    if pd.api.types.is_bool_dtype(series.dtype) or _is_boolean_pair(head):
        return "boolean", "onehot", f"Two values, {head[0]} and {head[1]}.", None
    if _is_number_dtype(series.dtype):
        return _classify_numbers(name, series, present)
    return _classify_text(name, present, distinct, delimiter)


def _classify_numbers(
    name: str, series: pd.Series, present: pd.Series
) -> _Classification:
    if _is_running_id(present):
        note = (
            "Values are unique and increasing, so this looks like a row ID, "
            "which tells nothing about the class."
        )
        return "text", "drop", note, None
    if _name_says_id(name) and _is_integral(present):
        if present.is_unique and len(present) >= 5:
            note = (
                "The name says ID and every value is unique, so this looks like "
                "an identifier, which tells nothing about the class."
            )
            return "text", "drop", note, None
        note = (
            "The name says ID, so the numbers look like codes whose order "
            "means nothing, and one-hot encoding is suggested. Choose numeric "
            "if they are amounts."
        )
        return "categorical", "onehot", note, None
    infinite = np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if infinite.any():
        rows = np.flatnonzero(infinite) + 1
        shown = ", ".join(str(r) for r in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        note = (
            f"Data rows {shown}{more} hold inf or -inf, which numeric encoding "
            "rejects, so dropping the column is suggested. Replace or clear "
            "those values to use it."
        )
        return "numeric", "drop", note, None
    return "numeric", "numeric", "", None


def _classify_text(
    name: str, present: pd.Series, distinct: _Distinct, delimiter: str | None
) -> _Classification:
    """Classify a column of strings or of mixed types."""
    n_distinct = distinct.count
    head = distinct.head
    many = n_distinct > _ID_MIN_COUNT and n_distinct / len(present) > 0.5
    width_note = (
        f"With {n_distinct:,} distinct values in {len(present):,} rows, most "
        "values occur about once, too rarely for a category to be learned."
    )

    mixed = (
        _grouped_note(head) or _decimal_comma_note(head, delimiter) or _mixed_note(head)
    )
    if mixed and many:
        return "categorical", "drop", f"{mixed} {width_note}", None
    if mixed:
        return "categorical", "onehot", mixed, None
    if _all_numbers_text(head):
        note = (
            "Every value is a number, but the column stores them as text (as "
            "pandas does for integers beyond 64 bits); numeric encoding reads "
            "them as floats."
        )
        return "numeric", "numeric", note, None

    if _is_datetime(head):
        note = (
            "Values are dates, which the network cannot use as they are. "
            "Derive numeric columns (such as month or day of week) to use them."
        )
        return "datetime", "drop", note, None
    if many:
        return "text", "drop", f"This looks like an ID or free text. {width_note}", None

    order = _ordinal_order(head, name)
    if order:
        note = f"Values have a natural order: {' < '.join(order)}."
        return "categorical", "ordinal", note, order
    note = ""
    if n_distinct > MAX_ONEHOT_LEVELS:
        note = (
            f"One-hot encoding keeps the {MAX_ONEHOT_LEVELS} most frequent of its "
            f"{n_distinct:,} categories as columns and puts the rest in one "
            f"{OTHER_LEVEL!r} column."
        )
    elif n_distinct > _MANY_LEVELS:
        note = f"One-hot encoding makes {n_distinct} columns from this column."
    return "categorical", "onehot", note, None


def _constant_note(series: pd.Series, value: str) -> str:
    note = f"Every value is {value!r}, so the column cannot separate classes."
    n_missing = int(series.isna().sum())
    if n_missing:
        note = (
            f"Every present value is {value!r} and {_count(n_missing, 'value')} "
            "are missing, so the column can only tell missing from present."
        )
    return note


def _case_note(distinct: list[str]) -> str:
    """Point out values that differ only in upper and lower case, else ""."""
    spellings: dict[str, list[str]] = {}
    for value in distinct:
        spellings.setdefault(value.casefold(), []).append(value)
    variants = next((v for v in spellings.values() if len(v) > 1), None)
    if variants is None:
        return ""
    return (
        f"Some values differ only in case, such as {', '.join(map(repr, variants))}: "
        "as the target they are one class, but as a feature each spelling is "
        "a category of its own."
    )


def _is_boolean_pair(distinct: list[str]) -> bool:
    if len(distinct) != 2:
        return False
    return frozenset(value.lower() for value in distinct) in _BOOLEAN_PAIRS


def _name_says_id(name: str) -> bool:
    words = {word.lower() for word in _NAME_WORDS.findall(name)}
    return bool(words & _ID_WORDS)


def _is_integral(present: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(present.dtype):
        return True
    values = present.to_numpy(dtype=np.float64)
    return bool(np.isfinite(values).all() and (values == np.round(values)).all())


def _is_running_id(present: pd.Series) -> bool:
    return (
        pd.api.types.is_integer_dtype(present.dtype)
        and len(present) > _ID_MIN_COUNT
        and present.is_monotonic_increasing
        and present.is_unique
    )


def _grouped_note(distinct: list[str]) -> str:
    """Describe numbers with thousands separators that stay text, else "".

    The note is the one `read_csv` writes for such a column, because the
    decimal-comma advice would be wrong for them: "1,234" might be 1234.
    """
    reason = _grouped_text_reason(distinct)
    return "" if reason is None else f"The column {reason}"


def _decimal_comma_note(distinct: list[str], delimiter: str | None) -> str:
    """Describe a text column of numbers written like 1,5, else "".

    The delimiter ";" is suggested only for a comma-separated file. A
    column whose comma values could all be thousands groups, such as
    "2,698", gets `_grouped_note` instead, which is checked first, because
    the new file would read "2,698" as 2.698 while it may mean 2698.
    """
    if not _all_numbers(distinct, _COMMA_DECIMAL_TEXT):
        return ""
    example = next(v for v in distinct if _COMMA_DECIMAL_TEXT.fullmatch(v))
    if delimiter is not None and delimiter != ",":
        return (
            f"Values look like numbers with a decimal comma, such as {example!r}, "
            "but the file is read with a decimal point, so they are read as "
            "text. Use one decimal mark in the whole file to read them as "
            "numbers."
        )
    advice = "Write them with a decimal point"
    if delimiter == ",":
        advice += ", or save the file with ';' as delimiter,"
    return (
        f"Values look like numbers with a decimal comma, such as {example!r}, "
        f"so they are read as text. {advice} to read them as numbers."
    )


def _mixed_note(distinct: list[str]) -> str:
    """Describe a text column whose values are mostly numbers, else "".

    Numbers with a thousands separator, such as "1.234,56", count as
    numbers, so the note lists only the values that are not numbers.
    """
    texts = pd.Series(distinct, dtype=object)
    numbers = pd.to_numeric(texts, errors="coerce")
    is_other = numbers.isna().to_numpy() & ~_is_grouped_number(texts.astype("str"))
    others = [value for value, other in zip(distinct, is_other, strict=True) if other]
    if not others or len(others) > len(distinct) / 2:
        return ""
    listed = ", ".join(repr(value) for value in others[:3])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    return (
        f"Mostly numbers, but {listed}{more} are not, so the column is read as "
        "categories. Correct or clear those values to use it as numeric."
    )


def _all_numbers_text(distinct: list[str]) -> bool:
    numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    return bool(numbers.notna().all())


def _is_datetime(distinct: list[str]) -> bool:
    head = distinct[:100]
    if not all(_DATE_TEXT.fullmatch(value) for value in head):
        return False
    with warnings.catch_warnings():
        # pandas warns when it cannot infer one format for all values.
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(pd.Series(head), format="mixed", errors="coerce")
    return bool(parsed.notna().all())


def _ordinal_order(distinct: list[str], name: str) -> tuple[str, ...] | None:
    """Return the categories lowest first when they form a known scale.

    Letters such as A, B, C also name groups, so they count as grades only
    when they include F or a + or - grade, or the column name says grade.
    """
    if not 3 <= len(distinct) <= _MANY_LEVELS:
        return None
    if all(_LETTER_GRADE.fullmatch(value) for value in distinct):
        graded = "grade" in name.lower() or any(
            value == "F" or len(value) == 2 for value in distinct
        )
        return tuple(sorted(distinct, key=_grade_rank)) if graded else None
    lowered = [value.lower() for value in distinct]
    if len(set(lowered)) < len(distinct):
        return None
    for scale in _ORDERED_SCALES:
        if set(lowered) <= set(scale):
            by_rank = sorted(
                zip(lowered, distinct, strict=True), key=lambda p: scale.index(p[0])
            )
            return tuple(value for _, value in by_rank)
    return None


def _grade_rank(grade: str) -> tuple[int, int]:
    """Rank a letter grade: F lowest and A highest, with B- < B < B+."""
    letter, modifier = grade[0], grade[1:]
    return "FEDCBA".index(letter), {"-": 0, "": 1, "+": 2}[modifier]
