"""Time and size FeatureEncoder on a million rows against pandas.get_dummies.

The frame has 10 numeric columns and three text columns with 5, 50 and
500 categories. The product fits the encoder (imputation, scaling and the
one-hot levels) and encodes the rows into EncodedFeatures, which keeps each
one-hot column as the position of its 1 and expands rows batch by batch.
The peer is ``pd.get_dummies(...).to_numpy(np.float32)``, the usual way to
get a one-hot matrix from a DataFrame. Memory is measured in a fresh process
per side, as the growth of the highest resident size above the process
holding the input frame.

    .venv/bin/python benchmarks/bench_encoding.py [--quick]
"""

from __future__ import annotations

import _timing
import numpy as np
import pandas as pd

from core.encoding import ColumnSpec, FeatureEncoder

LEVELS = (5, 50, 500)
N_NUMERIC = 10


def make_frame(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """Make numeric columns with 1% missing values and three category columns."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(N_NUMERIC):
        values = rng.normal(10 * i, 1 + i, n_rows)
        values[rng.random(n_rows) < 0.01] = np.nan
        columns[f"x{i}"] = values
    for n_levels in LEVELS:
        names = np.array([f"level_{k}" for k in range(n_levels)], dtype=object)
        columns[f"cat{n_levels}"] = names[rng.integers(0, n_levels, n_rows)]
    return pd.DataFrame(columns)


def specs() -> list[ColumnSpec]:
    numeric = [ColumnSpec(f"x{i}", "numeric") for i in range(N_NUMERIC)]
    return numeric + [ColumnSpec(f"cat{n}", "onehot") for n in LEVELS]


def product(frame: pd.DataFrame):
    encoder = FeatureEncoder.fit(frame, specs())
    return encoder, encoder.encode(frame)


def peer(frame: pd.DataFrame) -> np.ndarray:
    categories = [f"cat{n}" for n in LEVELS]
    return pd.get_dummies(frame, columns=categories).to_numpy(np.float32)


MEMORY_CHILD = """
import json, sys
sys.path.insert(0, "benchmarks")
import _timing
import bench_encoding as bench
frame = bench.make_frame({n_rows})
_timing.reset_peak_rss()
before = _timing.current_rss_bytes()
result = bench.{side}(frame)
peak = _timing.peak_rss_bytes()
print(json.dumps({{"grown": peak - before}}))
"""


def peak_growth(n_rows: int, side: str) -> int:
    code = MEMORY_CHILD.format(n_rows=n_rows, side=side)
    return int(_timing.run_child(code)["grown"])


def main() -> None:
    args = _timing.parse_args(__doc__.splitlines()[0])
    n_rows = 100_000 if args.quick else 1_000_000
    repeats = args.repeats or (3 if args.quick else 5)
    frame = make_frame(n_rows)
    encoder, encoded = product(frame)
    seconds = _timing.interleaved(
        {"product": lambda: product(frame), "peer": lambda: peer(frame)}, repeats
    )
    # The peer churns gigabytes between the product's runs, so the product
    # then touches fresh memory; this measures it as the app runs it.
    alone = _timing.interleaved({"product": lambda: product(frame)}, repeats)
    memory = {side: peak_growth(n_rows, side) for side in ("product", "peer")}
    product_s = _timing.median(seconds["product"])
    peer_s = _timing.median(seconds["peer"])
    rows_label = f"{n_rows // 1000:,}k" if n_rows < 1_000_000 else "1M"
    rows = [
        _timing.Row(
            f"fit + encode {rows_label} rows: one-hot 5/50/500 + {N_NUMERIC} numeric",
            _timing.duration(product_s),
            _timing.duration(peer_s),
            f"{_timing.paired_ratio(seconds, 'product', 'peer'):.2f}x",
            "<= 1.0 s",
            product_s <= 1.0,
        ),
        _timing.Row(
            "the same, product runs only (no peer between them)",
            _timing.duration(_timing.median(alone["product"])),
            "-",
            "-",
            "-",
            None,
        ),
        _timing.Row(
            "peak memory above the input frame",
            f"{memory['product'] / 1e9:.3f} GB",
            f"{memory['peer'] / 1e9:.3f} GB",
            f"{memory['product'] / memory['peer']:.2f}x",
            "<= 0.3 GB",
            memory["product"] <= 0.3e9,
        ),
    ]
    notes = [
        f"times: medians of {repeats} interleaved runs; ratio: median over the "
        "runs of product time / peer time in the same round",
        f"product output: {encoded.n_features} features held in "
        f"{encoded.nbytes / 1e6:.0f} MB; get_dummies gives "
        f"{N_NUMERIC + sum(LEVELS)} float32 columns "
        f"({n_rows * (N_NUMERIC + sum(LEVELS)) * 4 / 1e9:.2f} GB)",
        "the encoder keeps the 100 most frequent levels of a column and puts the "
        "rest in one '(other)' column, so the 500-level column has 101 outputs",
    ]
    _timing.report("Encoding features", rows, notes)


if __name__ == "__main__":
    main()
