"""The feature-encoding table of the Data page and its conversion to specs.

The table has one row per feature column: ``column`` and ``kind`` are
read-only, ``encoding`` is one of core's encodings, ``order`` lists the
ordinal categories lowest first, comma-separated, and ``scale`` switches
standardisation of a numeric column.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.encoding import ENCODINGS, ColumnSpec
from core.errors import EncodingSpecError
from core.profiles import ColumnProfile

TABLE_COLUMNS = ("column", "kind", "encoding", "order", "scale")


def editor_frame(
    profiles: list[ColumnProfile], specs: list[ColumnSpec]
) -> pd.DataFrame:
    """Build the editable table from the column profiles and suggested specs.

    Every categorical column gets an order prefilled, the suggested one or
    the sorted categories, so switching it to ordinal shows a usable order.
    """
    by_name = {profile.name: profile for profile in profiles}
    rows = []
    for spec in specs:
        profile = by_name[spec.name]
        order = spec.order or tuple(profile.categories)
        if profile.kind == "numeric" and spec.encoding == "numeric":
            order = ()
        rows.append(
            {
                "column": spec.name,
                "kind": profile.kind,
                "encoding": spec.encoding,
                "order": ", ".join(order),
                # Scaling applies to numeric columns only.
                "scale": bool(spec.scale) and profile.kind == "numeric",
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def column_config() -> dict[str, object]:
    """Return the data-editor column settings of the encoding table."""
    return {
        "column": st.column_config.TextColumn("column", disabled=True),
        "kind": st.column_config.TextColumn(
            "kind", disabled=True, help="What the values look like."
        ),
        "encoding": st.column_config.SelectboxColumn(
            "encoding",
            options=list(ENCODINGS),
            required=True,
            help="numeric: the number itself. ordinal: one integer code per "
            "category, in the order given. onehot: one 0/1 column per "
            "category. drop: not used.",
        ),
        "order": st.column_config.TextColumn(
            "order",
            help="Ordinal only: the categories lowest first, comma-separated. "
            "The first gets code 0.",
        ),
        "scale": st.column_config.CheckboxColumn(
            "scale", help="Numeric only: standardise to (x - mean) / std."
        ),
    }


def specs_from_table(table: pd.DataFrame) -> list[ColumnSpec]:
    """Turn the edited table into one `ColumnSpec` per row.

    Raises
    ------
    EncodingSpecError
        If a row has no encoding, or an ordinal row has an empty order.
    """
    specs = []
    for row in table.itertuples(index=False):
        name = str(row.column)
        encoding = row.encoding if isinstance(row.encoding, str) else ""
        if encoding not in ENCODINGS:
            raise EncodingSpecError(
                f"column {name!r} has no valid encoding ({row.encoding!r}); choose "
                f"one of {', '.join(ENCODINGS)} in the encoding table"
            )
        order = None
        if encoding == "ordinal":
            order = parse_order(name, row.order)
        specs.append(
            ColumnSpec(name=name, encoding=encoding, order=order, scale=bool(row.scale))
        )
    return specs


def parse_order(name: str, text: object) -> tuple[str, ...]:
    """Split an order cell such as "low, mid, high" into its categories.

    NOTE: a category whose name contains a comma cannot be written here.
    """
    parts = str(text or "").split(",")
    order = tuple(part.strip() for part in parts if part.strip())
    if not order:
        raise EncodingSpecError(
            f"column {name!r} is set to ordinal but its order is empty; list its "
            "categories lowest first, comma-separated, e.g. 'low, mid, high'"
        )
    return order
