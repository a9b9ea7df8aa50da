"""Shared timing helpers for the benchmark scripts.

The machine the benchmarks run on is small and shared, so one run of a
case proves little. Every script therefore runs the product and its peer in
turns (product, peer, product, peer, ...), keeps each run's seconds, and
reports medians and the median of the product/peer ratios of the rounds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The product logs recovered data problems as warnings (a 500-level column
# is cut to 100 levels, for example); they are expected here.
logging.getLogger("core").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Lets `python benchmarks/bench_x.py` import core without installing it.
    sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    """One line of a result table: a product and its peer, measured together."""

    what: str
    product: str
    peer: str
    ratio: str
    target: str
    met: bool | None  # None: reported only, no target

    def cells(self) -> list[str]:
        """The table cells of this row, in column order."""
        met = {True: "yes", False: "**no**", None: "-"}[self.met]
        return [self.what, self.product, self.peer, self.ratio, self.target, met]


HEADER = ["what", "product", "peer", "ratio", "target", "met"]


def parse_args(description: str) -> argparse.Namespace:
    """Parse the options every benchmark script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller data and fewer repeats, to check that the script runs",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs per case (default: per script)"
    )
    return parser.parse_args()


def interleaved(
    cases: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run every case `repeats` times in turns; return each case's seconds.

    The order of the cases rotates from round to round, so neither side is
    always the one that runs right after the other has warmed the caches.
    `warmup` rounds run first and are not kept.
    """
    names = list(cases)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(warmup + repeats):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            cases[name]()
            elapsed = time.perf_counter() - started
            if round_number >= warmup:
                seconds[name].append(elapsed)
    return seconds


def paired_ratio(seconds: dict[str, list[float]], product: str, peer: str) -> float:
    """Median over rounds of product time / peer time in the same round.

    Both runs of a round are seconds apart, so they share the machine's load
    at that moment; the median of these ratios drifts less with the load
    than the ratio of the two medians.
    """
    pairs = zip(seconds[product], seconds[peer], strict=True)
    return statistics.median(a / b for a, b in pairs)


def median(values: list[float]) -> float:
    """Median of `values`."""
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """Median with the lowest and highest run, in milliseconds."""
    return (
        f"{median(values) * 1e3:.1f} ms "
        f"({min(values) * 1e3:.1f}-{max(values) * 1e3:.1f})"
    )


def duration(seconds: float) -> str:
    """Format seconds with a unit that keeps two to four digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def markdown_table(rows: list[Row], header: list[str] | None = None) -> str:
    """Render rows as a Markdown table."""
    header = header or HEADER
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def report(title: str, rows: list[Row], notes: list[str] | None = None) -> str:
    """Print and return a titled table with its notes."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    notes = [*(notes or []), f"load average (1, 5, 15 min) at the end: {load}"]
    parts = [f"#### {title}", "", markdown_table(rows), ""]
    parts += [f"- {note}" for note in notes]
    text = "\n".join(parts)
    print(text, flush=True)
    return text


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> None:
    """Make the current resident size the new peak (Linux 4.0 and later)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def peak_rss_bytes() -> int:
    """Highest resident memory since the last `reset_peak_rss`, in bytes."""
    return _status_bytes("VmHWM")


def current_rss_bytes() -> int:
    """Resident memory of this process now, in bytes."""
    return _status_bytes("VmRSS")


def run_child(code: str, timeout: float = 600) -> dict[str, float]:
    """Run Python `code` in a fresh interpreter and return the JSON it prints.

    A fresh process keeps one measurement's peak memory apart from the
    others'. The code's last stdout line must be a JSON object.
    """
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark child failed ({completed.returncode}):\n{completed.stderr}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine_lines() -> list[str]:
    """Describe the machine and library versions, one fact per line."""
    import numpy
    import pandas
    import sklearn
    import torch

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"CPU: {model}, {os.cpu_count()} logical cores (load average {load})",
        f"Python {platform.python_version()} on {platform.system()} "
        f"{platform.release()}",
        f"numpy {numpy.__version__}, pandas {pandas.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch {torch.__version__}",
    ]
