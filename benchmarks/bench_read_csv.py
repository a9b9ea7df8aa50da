"""Time core.data.read_csv against pandas.read_csv on a large mixed CSV.

The file has 1,000,000 rows and 20 columns (decimals, integers, text
categories, yes/no values, dates, free text, a few missing values), about
120 MB. The product detects the encoding, delimiter and decimal mark and
checks for missing-value markers; the peer is pandas.read_csv with its
default settings. Both read the path, and then the same bytes in memory
as an upload arrives. Peak memory is measured in a fresh process for each
side, as the growth of the highest resident size during the call; for the
bytes rows the file is loaded before that measurement starts.

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
import io
import _timing
import pandas as pd
from core.data import read_csv
path = {path!r}
data = open(path, "rb").read() if {source!r} == "bytes" else None
_timing.reset_peak_rss()
before = _timing.current_rss_bytes()
if {side!r} == "product":
    frame = read_csv(data if data is not None else path).frame
elif data is not None:
    frame = pd.read_csv(io.BytesIO(data))
else:
    frame = pd.read_csv(path)
peak = _timing.peak_rss_bytes()
print(json.dumps({{"grown": peak - before, "shape": list(frame.shape)}}))
"""


def peak_growth(path: Path, side: str, source: str) -> int:
    code = MEMORY_CHILD.format(path=str(path), side=side, source=source)
    return int(_timing.run_child(code)["grown"])


def memory_row(
    what: str, memory: dict[str, int], size: int, target: bool
) -> _timing.Row:
    """Describe the peak memory of both sides relative to the file size."""
    product, peer = memory["product"], memory["peer"]
    return _timing.Row(
        what,
        f"{product / 1e6:.0f} MB = {product / size:.1f}x file",
        f"{peer / 1e6:.0f} MB = {peer / size:.1f}x file",
        f"{product / peer:.2f}x",
        "<= 4x the file size" if target else "-",
        product <= 4 * size if target else None,
    )


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
    sides = ("product", "peer")
    memory = {side: peak_growth(path, side, "path") for side in sides}
    memory_bytes = {side: peak_growth(path, side, "bytes") for side in sides}
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
        memory_row(
            "peak memory during the read of the path, above the process before it",
            memory,
            size,
            True,
        ),
        memory_row(
            "peak memory during the read of the bytes, above the loaded bytes",
            memory_bytes,
            size,
            False,
        ),
    ]
    notes = [
        f"times: medians of {repeats} interleaved runs; ratio: median over the "
        "runs of product time / peer time in the same round",
        f"detected: {product.describe()}",
        "the product sniffs a path's first 64 KB and then lets pandas read the "
        "file from disk; bytes are parsed from a BytesIO over them, without a copy",
    ]
    _timing.report("Reading a CSV", rows, notes)


if __name__ == "__main__":
    main()
