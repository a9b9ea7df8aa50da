"""Run every benchmark script and put their tables into docs/benchmarks.md.

Each script runs in its own process, one after the other, so their peak
memory and threads stay apart. The tables replace the text between the
results markers of docs/benchmarks.md; with --print they are only printed.

    .venv/bin/python benchmarks/run_all.py [--quick] [--print] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time

import _timing

SCRIPTS = [
    "bench_threshold.py",
    "bench_training.py",
    "bench_read_csv.py",
    "bench_encoding.py",
    "bench_slider_browser.py",
]
DOC = _timing.ROOT / "docs" / "benchmarks.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"


def run_script(name: str, quick: bool) -> tuple[str, bool]:
    """Run one script; return its tables (or its error) and whether it passed."""
    command = [sys.executable, str(_timing.ROOT / "benchmarks" / name)]
    command += ["--quick"] if quick else []
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=_timing.ROOT, capture_output=True, text=True, check=False
    )
    took = time.monotonic() - started
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        return (
            f"#### {name} failed (exit {completed.returncode})\n\n```\n{tail}\n```",
            False,
        )
    text = completed.stdout.strip()
    return f"{text}\n\n({name}, {took:.0f} s)", True


def results_block(tables: list[str], quick: bool) -> str:
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = "benchmarks/run_all.py" + (" --quick" if quick else "")
    lines = [
        START,
        f"Measured {now} with `.venv/bin/python {command}`.",
        "",
        *[f"- {line}" for line in _timing.machine_lines()],
        "",
        *("\n\n".join(tables).splitlines()),
        END,
    ]
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{DOC} has no {START} ... {END} markers")
    before = text[: text.index(START)]
    after = text[text.index(END) + len(END) :]
    DOC.write_text(before + block + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast runs")
    parser.add_argument(
        "--print", action="store_true", help="print the tables, leave the doc alone"
    )
    parser.add_argument(
        "--only", nargs="+", choices=SCRIPTS, default=SCRIPTS, help="scripts to run"
    )
    args = parser.parse_args()
    tables, passed = [], True
    for name in args.only:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        table, ok = run_script(name, args.quick)
        tables.append(table)
        passed = passed and ok
    block = results_block(tables, args.quick)
    if args.print:
        print(block)
    else:
        write_doc(block)
        print(f"wrote the tables into {DOC}", file=sys.stderr)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
