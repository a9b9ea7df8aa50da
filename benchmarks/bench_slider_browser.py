"""Time a threshold slider move in the browser until the new metrics show.

Starts the app on a free loopback port, drives headless Chromium through
Data (upload a CSV, pick the target), Train (train a model) and Evaluate,
then presses the arrow keys on the threshold slider. For each press, a
script in the page notes the time of the keydown event and the first
animation frame after the four metric cards show the values that core's
ThresholdTable gives at the new threshold. Moves that change no card are
not timed. The server is stopped by its process id at the end.

    .venv/bin/python benchmarks/bench_slider_browser.py [--quick]
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import _timing
import numpy as np
import pandas as pd
from playwright.sync_api import Page, sync_playwright

from core import bundle
from core.metrics import ThresholdTable
from tests.browser.helpers import (
    METRICS_JS,
    download,
    expect_rerun,
    goto_page,
    open_app,
    select_option,
    set_number,
    slider_input,
    track_script_runs,
    upload_file,
    wait_for_app_idle,
    wait_for_text,
    widget,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGET = "rain"
METRIC_LABELS = {"accuracy": "Accuracy", "precision": "Precision"}
METRIC_LABELS.update({"recall": "Recall", "f1": "F1"})
THRESHOLD_LABEL = "Decision threshold"
TRAIN_TIMEOUT_MS = 180_000

# Notes the keydown time, then the first frame after the cards match.
ARM_JS = f"""
(expected) => {{
  const shown = {METRICS_JS};
  const matches = () => {{
    const values = shown();
    return Object.entries(expected).every(([k, v]) => values[k] === v);
  }};
  window.__moveStart = null;
  window.__moveShown = null;
  window.addEventListener(
    "keydown", () => {{ window.__moveStart = performance.now(); }},
    {{capture: true, once: true}}
  );
  const observer = new MutationObserver(() => {{
    if (window.__moveStart === null || !matches()) return;
    observer.disconnect();
    requestAnimationFrame(() => {{ window.__moveShown = performance.now(); }});
  }});
  observer.observe(document.body, {{subtree: true, childList: true,
                                    characterData: true}});
}}
"""
ELAPSED_JS = "() => window.__moveShown - window.__moveStart"


def weather_csv(path: Path, n_rows: int, seed: int = 7) -> Path:
    """Write a CSV with a numeric and a categorical feature and a yes/no target."""
    rng = np.random.default_rng(seed)
    temp = rng.normal(20.0, 6.0, n_rows).round(1)
    city = rng.choice(["lima", "oslo", "rome"], n_rows)
    score = (temp - 20.0) / 4.0 + np.where(city == "oslo", 1.0, -0.5)
    rain = np.where(score + rng.normal(0.0, 1.0, n_rows) > 0, "yes", "no")
    pd.DataFrame({"temp": temp, TARGET: rain, "city": city}).to_csv(path, index=False)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, log) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "streamlit", "run", "app.py"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(
        command, cwd=_timing.ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    health = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("the Streamlit server did not become healthy")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def expected_cards(table: ThresholdTable, threshold: float) -> dict[str, str]:
    at = table.at(threshold)
    return {
        label: "undefined" if at.undefined_reason(name) else at.value_text(name)
        for name, label in METRIC_LABELS.items()
    }


def train_model(page: Page, url: str, csv_path: Path, epochs: int, folder: Path):
    """Upload, train through the pages, and return the downloaded model."""
    open_app(page, url)
    upload_file(page, "Upload a CSV file", csv_path)
    select_option(page, "Target column", TARGET)
    wait_for_text(page, "Ready to train")
    goto_page(page, url, "Train")
    set_number(page, "Epochs (passes over", epochs)
    with expect_rerun(page):
        page.get_by_role("button", name="Start training").click()
    wait_for_text(
        page, f"Training finished after {epochs} epochs", timeout=TRAIN_TIMEOUT_MS
    )
    wait_for_app_idle(page)
    goto_page(page, url, "Predict")
    model_file = download(page, "Download model file (.pt)", folder)
    return bundle.load_model(model_file.read_bytes())


def time_moves(page: Page, table: ThresholdTable, keys: list[str]) -> list[float]:
    """Press each key on the slider; return milliseconds for moves that show."""
    slider = widget(page, "stSlider", THRESHOLD_LABEL)
    thumb = slider_input(slider)
    threshold = round(float(thumb.input_value()), 2)
    shown = expected_cards(table, threshold)
    timings = []
    for key in keys:
        threshold = round(threshold + (0.01 if key == "ArrowRight" else -0.01), 2)
        expected = expected_cards(table, threshold)
        changes = expected != shown
        thumb.focus()
        page.evaluate(ARM_JS, expected)
        with expect_rerun(page):
            page.keyboard.press(key)
        wait_for_text(page, f"Classification report at threshold {threshold:.2f}")
        if changes:
            page.wait_for_function("() => window.__moveShown !== null")
            timings.append(float(page.evaluate(ELAPSED_JS)))
        shown = expected
    return timings


def main() -> None:
    args = _timing.parse_args(__doc__.splitlines()[0])
    n_moves = 8 if args.quick else 40
    keys = ["ArrowRight"] * (n_moves // 2) + ["ArrowLeft"] * (n_moves // 2)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as log:
        csv_path = weather_csv(Path(folder) / "weather.csv", 2_000)
        server = start_server(port, log)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    context = browser.new_context(
                        viewport={"width": 1400, "height": 1000}, accept_downloads=True
                    )
                    page = context.new_page()
                    track_script_runs(page)
                    model = train_model(page, url, csv_path, 10, Path(folder))
                    table = ThresholdTable.from_scores(model.y_valid, model.valid_proba)
                    goto_page(page, url, "Evaluate")
                    wait_for_text(page, "Classification report at threshold")
                    timings = time_moves(page, table, keys)
                finally:
                    browser.close()
        finally:
            stop_server(server)
    median = _timing.median(timings)
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    rows = [
        _timing.Row(
            "slider move (arrow key) until the new metric cards show",
            f"median {median:.0f} ms (p90 {p90:.0f}, max {ordered[-1]:.0f})",
            "-",
            "-",
            "<= 200 ms median",
            median <= 200,
        )
    ]
    notes = [
        f"{len(timings)} timed moves of {len(keys)} (moves that change no card are "
        "not timed); keydown to the first frame after the cards match core",
        "headless Chromium and the Streamlit server on the same machine",
    ]
    _timing.report("Threshold slider in the browser", rows, notes)


if __name__ == "__main__":
    main()
