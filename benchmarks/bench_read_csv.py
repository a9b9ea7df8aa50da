"""Time core.data.read_csv against pandas.read_csv on a large mixed CSV.

The file has 1,000,000 rows and 20 columns (decimals, integers, text
categories, yes/no values, dates, free text, a few missing values), about
100 MB. The product detects the encoding, delimiter and decimal mark and
checks for missing-value markers; the peer is pandas.read_csv with its
default settings. Peak memory is measured in a fresh process for each side,
as the growth of the highest resident size during the call.

    .venv/bin/python benchmarks/bench_read_csv.py [--quick]
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import _timing
import numpy as np
import pandas as pd

from core.data import read_csv

CACHE = Path(tempfile.gettempdir()) / "classifier-explorer-bench"


def make_csv(n_rows: int, seed: int = 0) -> Path:
    """Write (once) and return a mixed CSV of `n_rows` rows and 20 columns."""
    path = CACHE / f"mixed_{n_rows}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(8):
        values = np.round(rng.normal(50, 20, n_rows), 3)
        if i % 3 == 0:
            values[rng.random(n_rows) < 0.01] = np.nan
        columns[f"measure_{i}"] = values
    for i in range(4):
        columns[f"count_{i}"] = rng.integers(0, 10_000, n_rows)
    levels = [
        ["basic", "plus", "pro"],
        ["north", "south", "east", "west", "centre"],
        [f"shop_{k:03d}" for k in range(120)],
        ["red", "green", "blue", "yellow"],
    ]
    for i, names in enumerate(levels):
        columns[f"category_{i}"] = rng.choice(names, n_rows)
    columns["active"] = rng.choice(["yes", "no"], n_rows)
    days = rng.integers(0, 3650, n_rows)
    columns["signup"] = (np.datetime64("2015-01-01") + days).astype(str)
    words = np.array(["late", "paid", "called twice", "moved", "", "NA", "ok"])
    columns["comment"] = rng.choice(
        words, n_rows, p=[0.2, 0.3, 0.1, 0.1, 0.2, 0.05, 0.05]
    )
    columns["churned"] = rng.integers(0, 2, n_rows)
    frame = pd.DataFrame(columns)
    partial = path.with_suffix(".part")
    frame.to_csv(partial, index=False)
    partial.rename(path)
    return path


MEMORY_CHILD = """
import json, sys
sys.path.insert(0, "benchmarks")
import _timing
import pandas as pd
from core.data import read_csv
path = {path!r}
_timing.reset_peak_rss()
before = _timing.current_rss_bytes()
if {side!r} == "product":
    frame = read_csv(path).frame
else:
    frame = pd.read_csv(path)
peak = _timing.peak_rss_bytes()
print(json.dumps({{"grown": peak - before, "shape": list(frame.shape)}}))
"""


def peak_growth(path: Path, side: str) -> int:
    result = _timing.run_child(MEMORY_CHILD.format(path=str(path), side=side))
    return int(result["grown"])


def main() -> None:
    args = _timing.parse_args(__doc__.splitlines()[0])
    n_rows = 100_000 if args.quick else 1_000_000
    repeats = args.repeats or (3 if args.quick else 7)
    path = make_csv(n_rows)
    size = path.stat().st_size
    product = read_csv(path)
    peer = pd.read_csv(path)
    assert product.frame.shape == peer.shape, (product.frame.shape, peer.shape)
    seconds = _timing.interleaved(
        {"product": lambda: read_csv(path), "peer": lambda: pd.read_csv(path)},
        repeats,
    )
    ratio = _timing.paired_ratio(seconds, "product", "peer")
    # An upload reaches the app as bytes; give pandas the same bytes.
    data = path.read_bytes()
    in_memory = _timing.interleaved(
        {
            "product": lambda: read_csv(data),
            "peer": lambda: pd.read_csv(io.BytesIO(data)),
        },
        repeats,
    )
    memory = {side: peak_growth(path, side) for side in ("product", "peer")}
    megabytes = size / 1e6
    rows = [
        _timing.Row(
            f"read a {n_rows:,}-row x 20-column CSV ({megabytes:.0f} MB)",
            _timing.duration(_timing.median(seconds["product"])),
            _timing.duration(_timing.median(seconds["peer"])),
            f"{ratio:.2f}x",
            "<= 1.2x",
            ratio <= 1.2,
        ),
        _timing.Row(
            "the same bytes in memory (an upload) vs pandas on a BytesIO",
            _timing.duration(_timing.median(in_memory["product"])),
            _timing.duration(_timing.median(in_memory["peer"])),
            f"{_timing.paired_ratio(in_memory, 'product', 'peer'):.2f}x",
            "-",
            None,
        ),
        _timing.Row(
            "peak memory during the read, above the process before it",
            f"{memory['product'] / 1e6:.0f} MB = {memory['product'] / size:.1f}x file",
            f"{memory['peer'] / 1e6:.0f} MB = {memory['peer'] / size:.1f}x file",
            f"{memory['product'] / memory['peer']:.2f}x",
            "<= 4x the file size",
            memory["product"] <= 4 * size,
        ),
    ]
    notes = [
        f"times: medians of {repeats} interleaved runs; ratio: median over the "
        "runs of product time / peer time in the same round",
        f"detected: {product.describe()}",
        "the product reads the whole file into memory first (an upload arrives "
        "as bytes), so its peak includes the file's bytes",
    ]
    _timing.report("Reading a CSV", rows, notes)


if __name__ == "__main__":
    main()
