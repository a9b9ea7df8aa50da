"""Clean a parsed CSV frame: column names, missing markers and empty rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.csv_dialect import NA_MARKERS, _count, _names

# The texts that pandas reads as booleans by default.
_BOOLEAN_TEXT = ("True", "TRUE", "true", "False", "FALSE", "false")
_NUMBER_TEXT = r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*|[+-]?inf"


def _clean_columns(
    frame: pd.DataFrame, header: list[str], notes: list[str]
) -> pd.DataFrame:
    """Strip column names and name empty ones column_<n>."""
    if len(header) == frame.shape[1]:
        names = [raw.strip() for raw in header]
    else:
        names = [str(column).strip() for column in frame.columns]
        names = ["" if name.startswith("Unnamed: ") else name for name in names]
    renamed = []
    for number, column in enumerate(names, start=1):
        if column:
            continue
        new_name = f"column_{number}"
        while new_name in names:
            new_name += "_"
        names[number - 1] = new_name
        renamed.append(new_name)
    if renamed:
        notes.append(
            "Column names that are empty in the header row were filled in by "
            f"position: {_names(renamed)}."
        )
    frame.columns = names
    return frame


def _apply_missing_markers(
    frame: pd.DataFrame,
    reparse: Callable[[list[int], list[str]], pd.DataFrame],
    notes: list[str],
) -> pd.DataFrame:
    """Read missing markers and blank fields as missing, noting each column.

    The frame was parsed with only empty fields as missing, so a marker
    keeps its column as text. The markers are pandas' defaults (NA, null,
    ...) and fields of only spaces or tabs, which pandas keeps as text. A
    text column with markers has them replaced by NaN. A column that looks
    like numbers or booleans apart from its markers is parsed again with
    pandas' defaults plus those blank fields, so that its dtype is the one
    pandas gives.
    """
    found, blank_columns, numeric_positions = [], [], []
    blanks: set[str] = set()
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        if _is_number_or_bool(series):
            continue
        masks = _missing_masks(series)
        if masks is None:
            continue
        is_marker, is_blank = masks
        # pandas 3.1 gives an empty field as "" instead of NaN in some
        # columns of integers beyond 64 bits. It is missing, but no blank.
        is_empty = (series == "").fillna(False).astype(bool)
        is_blank &= ~is_empty
        if is_marker.any():
            counts = series[is_marker].value_counts()
            written = ", ".join(
                f"{value!r} ({_count(int(count), 'value')})"
                for value, count in counts.items()
            )
            found.append(f"column {column!r} {written}")
        if is_blank.any():
            blank_columns.append(f"{column!r} ({_count(int(is_blank.sum()), 'value')})")
            blanks.update(series[is_blank].unique().tolist())
        remaining = series.where(~(is_marker | is_blank | is_empty))
        if _may_be_numbers(remaining):
            numeric_positions.append(position)
        else:
            frame.isetitem(position, remaining)
    if numeric_positions:
        parsed = reparse(numeric_positions, sorted(blanks))
        for index, position in enumerate(numeric_positions):
            values = parsed.iloc[:, index]
            if not _is_number_or_bool(values):
                # The same pandas quirk can keep markers and empty fields
                # as text in a column of integers beyond 64 bits.
                values = values.where(
                    ~(values.isin(NA_MARKERS) | _blank_fields(values))
                )
            frame.isetitem(position, values)
    if found:
        notes.append(
            "These markers were read as missing values, as pandas does by "
            f"default: {'; '.join(found)}. If a marker is a real category, "
            "such as a class called 'NA', read the column with "
            "keep_default_na=False to keep it."
        )
    if blank_columns:
        noun = "column" if len(blank_columns) == 1 else "columns"
        notes.append(
            "Fields that contain only whitespace were read as missing values "
            f"in {noun} {', '.join(blank_columns)}."
        )
    return frame


def _is_number_or_bool(series: pd.Series) -> bool:
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _missing_masks(series: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Mark the markers and the blank fields of a text column.

    Returns None when the column has neither. The distinct values are
    checked first, so a column without them costs one hash pass instead of
    a lookup and a strip per value.
    """
    if series.dtype == object:
        # Mixed chunks: the values are str, numbers and booleans.
        is_marker = series.isin(NA_MARKERS)
        is_blank = _blank_fields(series)
    else:
        distinct = pd.Series(series.unique(), dtype=series.dtype).dropna()
        markers = distinct[distinct.isin(NA_MARKERS)]
        blanks = distinct[(distinct.str.strip() == "").to_numpy(dtype=bool)]
        if markers.empty and blanks.empty:
            return None
        is_marker = _isin(series, markers)
        is_blank = _isin(series, blanks)
    if not is_marker.any() and not is_blank.any():
        return None
    return is_marker, is_blank


def _isin(series: pd.Series, values: pd.Series) -> pd.Series:
    if values.empty:
        return pd.Series(False, index=series.index)
    return series.isin(values.tolist())


def _blank_fields(series: pd.Series) -> pd.Series:
    """Mark the text fields that contain only whitespace."""
    if series.dtype == object:
        # Mixed chunks: only str values can be blank.
        is_text = series.map(lambda value: isinstance(value, str), na_action="ignore")
        text = series.where(is_text.fillna(False).astype(bool))
    else:
        text = series
    return (text.str.strip() == "").fillna(False).astype(bool)


def _may_be_numbers(series: pd.Series) -> bool:
    """Tell whether pandas could read the non-missing values as numbers."""
    if series.dtype == object:
        # The C engine's chunks disagreed on the type, so some chunks held
        # numbers or booleans.
        return True
    # The first 200 present values usually sit in the first rows, so the
    # whole column is filtered only when they do not.
    head = series.iloc[:2000].dropna().head(200)
    if len(head) < 200 < len(series):
        head = series.dropna().head(200)
    return bool(head.isin(_BOOLEAN_TEXT).all()) or bool(
        head.str.fullmatch(_NUMBER_TEXT).all()
    )


def _empty_rows(frame: pd.DataFrame) -> pd.Index:
    """Return the index of rows where every field is empty, such as ",,,"."""
    if frame.empty:
        return frame.index[:0]
    # Narrow the candidates column by column, so that a frame without such
    # rows costs about one isna pass over a single column.
    candidates = frame.index
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if len(candidates) < len(frame):
            values = values.loc[candidates]
        candidates = candidates[values.isna().to_numpy()]
        if candidates.empty:
            break
    return candidates


def _drop_rows(frame: pd.DataFrame, rows: pd.Index, notes: list[str]) -> pd.DataFrame:
    """Drop the empty `rows` found by `_empty_rows`, with a note."""
    if rows.empty:
        return frame
    # Positions, not labels: the labels are the values of a first column
    # that pandas made the index.
    numbers = np.flatnonzero(frame.index.isin(rows)) + 1
    shown = ", ".join(str(number) for number in numbers[:5])
    if len(numbers) > 5:
        shown += f" and {len(numbers) - 5:,} more"
    noun, pronoun = ("data row", "it") if len(numbers) == 1 else ("data rows", "them")
    notes.append(
        f"Skipped {_count(len(rows), 'row')} in which every field is empty "
        f"({noun} {shown}). Rows are numbered without {pronoun} from here on, "
        "so a later row number counts only the rows that were kept."
    )
    return frame.drop(index=rows).reset_index(drop=True)


def _single_column_note(frame: pd.DataFrame) -> str | None:
    """Point out a lone column whose name suggests another delimiter."""
    if frame.shape[1] != 1:
        return None
    column = str(frame.columns[0])
    if ";" not in column and "\t" not in column:
        return None
    mark = "';'" if ";" in column else "a tab"
    return (
        f"Only 1 column was found, named {column!r}. The name contains {mark}, "
        f"so the file may use {mark} as its delimiter, with the header in "
        "double quotes. Remove those quotes to read the columns separately."
    )
