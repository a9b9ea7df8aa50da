"""Turn raw column values into the category strings that encoders use.

Training and prediction both pass categorical values through
`category_strings`, so a level reads the same in both files: the integer
1 and the float 1.0 (what pandas makes of an integer column with a gap)
both become "1", and booleans become "True" / "False".
"""

import numpy as np
import pandas as pd


def category_strings(series: pd.Series) -> pd.Series:
    """Map each non-missing value to its category string; missing stays NaN.

    The result has object dtype so that NaN marks a missing value.
    """
    missing = series.isna()
    values = series[~missing]
    if pd.api.types.is_bool_dtype(values.dtype):
        text = values.map(lambda v: "True" if v else "False")
    elif pd.api.types.is_float_dtype(values.dtype):
        text = values.map(_format_float)
    else:
        text = values.map(_format_value)
    out = pd.Series(np.full(len(series), np.nan, dtype=object), index=series.index)
    out[~missing] = text.to_numpy(dtype=object)
    return out


def _format_float(value: float) -> str:
    if np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _format_value(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (float, np.floating)):
        return _format_float(float(value))
    return str(value).strip()


def factorize_categories(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Return per-row codes into a list of distinct category strings.

    Missing values get code -1. Values that format to the same string (1
    and 1.0) share one code. Hashing the raw values once and formatting only
    the distinct ones keeps this fast for a million rows.
    """
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(series), -1, dtype=np.int64), []
    labels = category_strings(pd.Series(uniques, dtype=object)).tolist()
    distinct, label_codes = np.unique(
        np.asarray(labels, dtype=object), return_inverse=True
    )
    codes = np.where(raw_codes >= 0, label_codes[np.maximum(raw_codes, 0)], -1)
    return codes.astype(np.int64), [str(v) for v in distinct]


def category_positions(series: pd.Series, categories: list[str]) -> np.ndarray:
    """Return each row's index in `categories`: -1 if unseen, -2 if missing."""
    codes, labels = factorize_categories(series)
    lookup = pd.Index(categories).get_indexer(labels) if labels else np.zeros(0, int)
    lookup = np.append(lookup, -2)  # code -1 (missing) reads the last entry
    return lookup[codes].astype(np.int64)
