"""Read text columns of numbers written with a thousands separator.

pandas reads "1.234,56" in a decimal-comma file, quoted "1,234.56" in a
comma-separated file and "1 234,56" as text. Its C engine takes one
thousands separator for the whole file, and it would strip that character
from other columns too, so a date such as 01.02.2020 would become 1022020.
The file is therefore parsed without one. Afterwards each text column
whose sample values are all numbers grouped by one separator is converted
here, once every distinct value of the column passes the same check.

The rules, for a file whose decimal mark is ``d``:

- A separator is one of ``.``, ``,``, a space, a no-break space (U+00A0),
  a narrow no-break space (U+202F), an apostrophe ``'`` or a right single
  quotation mark (U+2019), and never ``d`` itself. So "1,234" in a
  decimal-comma file stays the decimal 1.234 that pandas reads.
- A grouped value starts with 1 to 3 digits (not a leading 0), then one or
  more groups of the separator and exactly 3 digits, then optionally ``d``
  and the decimals: "1.234.567,8", "-12 500", "1'234.56". Values without
  a separator ("999,5", "12500") may sit in the same column.
- With ``.`` or ``,`` as the separator, a value with only one group and no
  decimals ("1,234", "12.500") could also be a decimal number from another
  locale. A column whose grouped values are all like that is ambiguous: it
  stays text with a note, unless one of its values settles it with a second
  group ("1,234,567") or decimals ("1,234.5").
- A column whose values use more than one separator stays text with a note
  that lists which values use which.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pandas then stores text without pyarrow
    pa = None

logger = logging.getLogger(__name__)

THOUSANDS_SEPARATORS = (".", ",", " ", "\u00a0", "\u202f", "'", "\u2019")
_SEPARATOR_NAMES = {
    ".": "'.'",
    ",": "','",
    " ": "a space",
    "\u00a0": "a no-break space (U+00A0)",
    "\u202f": "a narrow no-break space (U+202F)",
    "'": "an apostrophe",
    "\u2019": "a right single quotation mark (U+2019)",
}
# Separators that are a decimal mark in some locale, so one group alone
# ("1,234") does not tell a thousands separator from a decimal mark.
_DECIMAL_LIKE = (".", ",")
_THREE_DECIMALS = {
    mark: re.compile(rf"[+-]?[1-9]\d{{0,2}}{re.escape(mark)}\d{{3}}")
    for mark in (",", ".")
}
# Examples listed per separator in the note on mixed separators.
_MAX_EXAMPLES = 3


def _patterns(decimal: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """Return the plain pattern and, per separator, two grouped patterns.

    The grouped patterns match one or more groups, and two or more. They
    avoid backreferences, so pyarrow's RE2 engine runs them on a column.
    """
    point = f"[{decimal}]"
    plain = rf"[+-]?(\d+({point}\d*)?|{point}\d+)"
    grouped = {
        mark: (
            rf"[+-]?[1-9]\d{{0,2}}([{mark}]\d{{3}})+({point}\d+)?",
            rf"[+-]?[1-9]\d{{0,2}}([{mark}]\d{{3}}){{2,}}({point}\d+)?",
        )
        for mark in THOUSANDS_SEPARATORS
        if mark != decimal
    }
    return plain, grouped


_PATTERNS = {decimal: _patterns(decimal) for decimal in (".", ",")}
# Characters of numbers with any separator, to reject other text quickly.
_NUMBER_CHARACTERS = re.compile(r"[+\-\d.,' \u00a0\u202f\u2019]+")


@dataclass(frozen=True)
class _Grouping:
    """Thousands separators found in the values of one column."""

    # Up to _MAX_EXAMPLES distinct values per separator, with the separators
    # and their values in order of first appearance.
    examples: dict[str, list[str]]
    # True when some value has two groups or decimals, or its separator is
    # never a decimal mark, so the separator cannot be a decimal mark.
    settled: bool
    has_decimals: bool


def _matches(texts: pd.Series, pattern: str) -> np.ndarray:
    return texts.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)


def _grouping(texts: pd.Series, decimal: str) -> _Grouping | None:
    """Classify stripped text values, or return None if one is no number.

    Missing values in `texts` are ignored.
    """
    present = texts.notna().to_numpy(dtype=bool)
    if not present.any():
        return None
    plain, grouped_patterns = _PATTERNS[decimal]
    unmatched = present & ~_matches(texts, plain)
    with_decimal = texts.str.contains(decimal, regex=False)
    with_decimal = with_decimal.to_numpy(dtype=bool, na_value=False)
    found = []
    settled = False
    for separator, (grouped, two_groups) in grouped_patterns.items():
        if not unmatched.any():
            break
        is_grouped = unmatched & _matches(texts, grouped)
        if not is_grouped.any():
            continue
        unmatched &= ~is_grouped
        rows = np.flatnonzero(is_grouped)
        found.append((separator, rows))
        settled = (
            settled
            or separator not in _DECIMAL_LIKE
            or bool(with_decimal[rows].any())
            or bool(_matches(texts.iloc[rows], two_groups).any())
        )
    if unmatched.any() or not found:
        return None
    found.sort(key=lambda item: item[1][0])
    examples = {}
    for separator, rows in found:
        # The first rows hold enough distinct examples unless values repeat.
        values = dict.fromkeys(texts.iloc[rows[:1000]].tolist())
        examples[separator] = list(values)[:_MAX_EXAMPLES]
    return _Grouping(examples, settled, bool(with_decimal.any()))


def _late_text_note(column: str, texts: pd.Series, decimal: str) -> str | None:
    """Name the later values that kept a column of sampled numbers as text.

    Returns None unless the column starts with plain numbers, so a column
    of words is not described.
    """
    plain, _ = _PATTERNS[decimal]
    is_number = _matches(texts, plain)
    present = texts.notna().to_numpy(dtype=bool)
    if not is_number[: min(len(texts), 100)].any():
        return None
    others = np.flatnonzero(present & ~is_number)
    if not len(others):
        return None
    values = list(dict.fromkeys(texts.iloc[others[:1000]].tolist()))[:_MAX_EXAMPLES]
    shown = ", ".join(repr(value) for value in values)
    return (
        f"Column {column!r} has numbers in its first rows, but later values "
        f"such as {shown} (from data row {others[0] + 1:,}) are not numbers "
        f"with {decimal!r} as the decimal mark, so the column was read as "
        "text. If those values are numbers, write them like the others, "
        "without a thousands separator, or choose an encoding for the column "
        "as text."
    )


def _may_have_groups(values: list[str], decimal: str) -> bool:
    """Tell whether a text column's sample makes it a candidate.

    That is when the sample shows grouped numbers, or when every sampled
    value is a plain number: pandas then kept the column as text because
    of values past the sample, which may be grouped numbers.
    """
    if _sample_grouping(values, decimal) is not None:
        return True
    plain, _ = _PATTERNS[decimal]
    return bool(values) and all(re.fullmatch(plain, value) for value in values)


def _sample_grouping(values: list[str], decimal: str) -> _Grouping | None:
    """Classify the values of one column in the sample."""
    # The pattern matches single characters, so it can check all at once.
    text = "".join(values)
    if not text or not _NUMBER_CHARACTERS.fullmatch(text):
        return None
    if not any(mark in text for mark in THOUSANDS_SEPARATORS if mark != decimal):
        return None
    return _grouping(pd.Series(values, dtype="str"), decimal)


def _apply_thousands(
    frame: pd.DataFrame,
    decimal: str,
    sample_values: Callable[[int], list[str]],
    notes: list[str],
    delimiter: str = ",",
) -> pd.DataFrame:
    """Convert text columns of numbers with a thousands separator.

    `sample_values` returns the stripped, present values in the sample of
    the column at a position. They choose the candidate columns, so a
    column whose first values are not numbers costs no pass over its rows.
    Columns of mixed chunks are candidates in any case. Each candidate is
    then checked on all its distinct values. Adds one note per converted
    column and one per column kept as text because its separators are
    mixed or ambiguous.
    """
    read, kept = [], []
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        # A comma file writes thousands groups with "." only in quotes, so
        # "1.250" there is taken as a decimal without a note.
        may_group = decimal == "," or delimiter != ","
        if may_group and pd.api.types.is_float_dtype(series.dtype):
            note = _three_decimals_note(column, sample_values(position), decimal)
            if note:
                kept.append(note)
            continue
        if series.dtype != object and not pd.api.types.is_string_dtype(series.dtype):
            continue
        # A column of mixed chunks (object dtype) may show its grouped values
        # only past the sample, so it is always checked.
        mixed = series.dtype == object
        if not mixed and not _may_have_groups(sample_values(position), decimal):
            continue
        if mixed:
            # Mixed chunks: the numbers of the chunks that pandas parsed stay.
            is_text = series.map(
                lambda value: isinstance(value, str), na_action="ignore"
            )
            is_text = is_text.fillna(False).to_numpy(dtype=bool)
            if not _only_numbers(series[~is_text].dropna()):
                continue
            texts = series.where(is_text).astype("str").str.strip()
        else:
            is_text = series.notna().to_numpy(dtype=bool)
            texts = series.str.strip()
        grouping = _grouping(texts, decimal)
        if grouping is None:
            if not mixed:
                note = _late_text_note(column, texts, decimal)
                if note:
                    kept.append(note)
            continue
        problem = _kept_as_text(column, grouping, decimal)
        if problem:
            kept.append(problem)
            continue
        (separator,) = grouping.examples
        numbers = _parse_numbers(texts, separator, decimal)
        if mixed:
            numbers[~is_text] = series[~is_text].astype(np.float64).to_numpy()
        frame.isetitem(position, _to_numbers(numbers, grouping))
        logger.info(
            "Read column %r as numbers with thousands separator %r",
            column,
            separator,
        )
        example = grouping.examples[separator][0]
        parsed = _parse_number(example, separator, decimal)
        read.append(
            f"column {column!r} ({_SEPARATOR_NAMES[separator]}: {example!r} read "
            f"as {parsed:.15g})"
        )
    if read:
        notes.append(
            "Numbers written with a thousands separator were read as numbers in "
            f"{'; '.join(read)}."
        )
    notes.extend(kept)
    return frame


def _three_decimals_note(column: str, values: list[str], decimal: str) -> str | None:
    """Point out a decimal column that reads like thousands groups.

    "1,234" in a decimal-comma file is 1.234, and "1.250" in a ';' file with
    a decimal point is 1.25, as pandas reads them: the decimal mark is never
    taken as a thousands separator. When every value of the sample has
    exactly three digits after the mark, as a count or a price with a
    thousands separator would (German Excel writes 1.250 for 1250), the
    note states how the column was read.
    """
    if not values:
        return None
    if not all(_THREE_DECIMALS[decimal].fullmatch(value) for value in values):
        return None
    example = values[0]
    mark_name = "comma" if decimal == "," else "point"
    return (
        f"Column {column!r} was read with {decimal!r} as the decimal mark, so "
        f"{example!r} is {float(example.replace(',', '.')):g}. Every value has "
        f"exactly three digits after the {mark_name}, as numbers with a "
        f"thousands separator would have. If {decimal!r} separates thousands "
        "there, remove it in the file to read whole numbers."
    )


def _only_numbers(distinct: Iterable[object]) -> bool:
    """Tell whether the non-text values are numbers, as mixed chunks give."""
    return all(
        isinstance(value, str)
        or (isinstance(value, (int, float, np.number)) and not isinstance(value, bool))
        for value in distinct
    )


def _kept_as_text(column: str, grouping: _Grouping, decimal: str) -> str | None:
    """Return the note for a column that stays text, or None to convert it."""
    reason = _text_reason(grouping, decimal)
    return None if reason is None else f"Column {column!r} {reason}"


def _text_reason(grouping: _Grouping, decimal: str) -> str | None:
    """Explain why grouped numbers stay text, or return None if they do not.

    The sentence continues a subject such as "Column 'amount'", so the
    reader's note and the column profile's note use the same words.
    """
    if len(grouping.examples) > 1:
        parts = [
            f"{', '.join(repr(value) for value in values)} "
            f"{'uses' if len(values) == 1 else 'use'} "
            f"{_SEPARATOR_NAMES[separator]}"
            for separator, values in grouping.examples.items()
        ]
        return (
            f"contains numbers with different thousands separators: "
            f"{'; '.join(parts)}. It stays text. Use one separator in the whole "
            "column, or none, to read it as numbers."
        )
    if grouping.settled:
        return None
    ((separator, values),) = grouping.examples.items()
    example = values[0]
    digits = example.replace(separator, "")
    as_decimal = example.replace(separator, ".")
    return (
        f"contains values such as {example!r} that could be {digits} "
        f"({separator!r} as a thousands separator) or {as_decimal} "
        f"({separator!r} as a decimal mark), so it stays text. Write the "
        f"numbers without {separator!r}, or with decimals such as "
        f"'{example}{decimal}00', to read them as numbers."
    )


def _grouped_text_reason(values: list[str]) -> str | None:
    """Explain why stripped values of grouped numbers stay text, if they do.

    The file's decimal mark is unknown here. It is the one under which
    the values are grouped numbers, and at most one of "." and "," makes
    a column that `_apply_thousands` keeps as text.
    """
    for decimal in (".", ","):
        grouping = _sample_grouping(values, decimal)
        reason = None if grouping is None else _text_reason(grouping, decimal)
        if reason is not None:
            return reason
    return None


def _is_grouped_number(texts: pd.Series) -> np.ndarray:
    """Mark stripped texts that are numbers grouped by a thousands separator.

    A text counts under either decimal mark, such as "1.234,56" and
    "1,234.56".
    """
    found = np.zeros(len(texts), dtype=bool)
    for _, grouped_patterns in _PATTERNS.values():
        for grouped, _ in grouped_patterns.values():
            found |= _matches(texts, grouped)
    return found


def _parse_number(text: str, separator: str, decimal: str) -> float:
    return float(text.strip().replace(separator, "").replace(decimal, "."))


def _parse_numbers(texts: pd.Series, separator: str, decimal: str) -> np.ndarray:
    """Parse grouped number texts into float64, with NaN where missing."""
    if pa is not None and getattr(texts.dtype, "storage", None) == "pyarrow":
        # pyarrow's kernels are about ten times faster here than pandas'
        # str.replace and astype(float) on a column of a million values.
        array = pa.array(texts.array)
        array = pc.replace_substring(array, pattern=separator, replacement="")
        array = pc.replace_substring(array, pattern=decimal, replacement=".")
        numbers = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        return np.array(numbers, dtype=np.float64)
    digits = texts.str.replace(separator, "", regex=False)
    digits = digits.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(digits).to_numpy(dtype=np.float64, copy=True)


def _to_numbers(result: np.ndarray, grouping: _Grouping) -> np.ndarray:
    """Return the parsed numbers as int64 when nothing is lost, else float64.

    That is when no value is missing or has decimals, as pandas gives for
    such columns.
    """
    whole = not grouping.has_decimals and not np.isnan(result).any()
    if whole and np.isfinite(result).all() and (np.abs(result) < 2**53).all():
        if (result == np.round(result)).all():
            return result.astype(np.int64)
    return result
