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
