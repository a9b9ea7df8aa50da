"""Write a DataFrame as CSV that spreadsheet programs open as plain data.

Excel, LibreOffice Calc and Google Sheets evaluate a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab, carriage
return or NUL character can hide such a prefix. A prediction file repeats
the uploaded rows, so a text value such as ``=HYPERLINK(...)`` from an
untrusted CSV would become a live formula when the download is opened.
OWASP ASVS 5.0 (requirement 1.2.10) requires such a cell to be prefixed
with a single quote, which those programs show as text and do not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
# A signed number such as "-3.5", "+1e6" or "-1.234,56" is data, not a
# formula, and stays as written so that it still reads back as the same
# number. Digit groups may be split by ".", ",", "'", U+2019 or a space
# (also U+00A0 and U+202F), as in the thousands separators read_csv accepts.
_SIGNED_NUMBER = re.compile(
    r"[+-](\d+([.,' \u00a0\u202f\u2019]\d+)*([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?"
)


@dataclass(frozen=True)
class SafeCSV:
    """CSV bytes and what was changed to keep formulas from running.

    Attributes
    ----------
    data : bytes
        The UTF-8 CSV text, without the index.
    n_escaped : int
        Number of text cells that were prefixed with a single quote.
    columns : tuple of str
        Names of the columns that contain such cells, in frame order.
    n_names_escaped : int
        Number of column names in the header row that were prefixed.
    """

    data: bytes
    n_escaped: int
    columns: tuple[str, ...]
    n_names_escaped: int = 0

    def note(self) -> str | None:
        """Describe the escaped cells in one sentence, or None if none were."""
        parts = []
        if self.n_escaped:
            cells = (
                "1 text cell" if self.n_escaped == 1 else f"{self.n_escaped} text cells"
            )
            names = ", ".join(repr(name) for name in self.columns)
            parts.append(f"{cells} in {names}")
        if self.n_names_escaped:
            noun = "name" if self.n_names_escaped == 1 else "names"
            parts.append(f"{self.n_names_escaped} column {noun}")
        if not parts:
            return None
        single = self.n_escaped + self.n_names_escaped == 1
        verb = "starts" if single else "start"
        return (
            f"{' and '.join(parts)} {verb} with =, +, -, @, a tab, a carriage "
            "return or NUL, which spreadsheet programs run as a formula. The "
            "downloaded CSV has a ' in front of each, so they open as text."
        )


def is_formula_text(value: object) -> bool:
    """Tell whether a cell value would be evaluated as a spreadsheet formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return False
    return _SIGNED_NUMBER.fullmatch(value) is None


def escape_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, tuple[str, ...]]:
    """Prefix formula-like text cells with a single quote.

    Returns a copy of `frame` with those cells changed (or `frame` itself
    when none are), the number of cells changed and the names of their
    columns. Numbers, booleans and missing values are never changed.
    """
    changed: dict[int, pd.Series] = {}
    n_escaped = 0
    columns = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            continue
        mask = series.map(is_formula_text, na_action="ignore").fillna(False)
        mask = mask.astype(bool)
        count = int(mask.sum())
        if not count:
            continue
        escaped = series.astype(object).copy()
        escaped[mask] = "'" + series[mask].astype(str)
        changed[position] = escaped
        n_escaped += count
        columns.append(str(frame.columns[position]))
    if not changed:
        return frame, 0, ()
    out = frame.copy()
    for position, escaped in changed.items():
        out.isetitem(position, escaped)
    return out, n_escaped, tuple(columns)


def to_safe_csv(frame: pd.DataFrame) -> SafeCSV:
    """Write `frame` as UTF-8 CSV with formula-like text cells escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write; it is not modified.

    Returns
    -------
    SafeCSV
        The CSV bytes, and the count and columns of the escaped cells.
    """
    safe, n_escaped, columns = escape_formulas(frame)
    names = [str(name) for name in safe.columns]
    header = [f"'{name}" if is_formula_text(name) else name for name in names]
    n_names_escaped = sum(new != old for new, old in zip(header, names, strict=True))
    if n_names_escaped:
        safe = safe.set_axis(header, axis=1)
    data = safe.to_csv(index=False).encode("utf-8")
    return SafeCSV(
        data=data,
        n_escaped=n_escaped,
        columns=columns,
        n_names_escaped=n_names_escaped,
    )
