"""The app's main flows in headless Chromium, checked against core's results.

Each test opens its own browser context, so it gets a new Streamlit
session, and builds what it needs through the pages as a user would:
upload, choose, train, move the threshold, download and predict.
"""

import os
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
import torch
from playwright.sync_api import Page, expect

from core import bundle
from core import data as core_data
from core.metrics import ThresholdTable
from tests.browser.helpers import (
    DEFAULT_TIMEOUT_MS,
    PLOTLY_TRACE_LENGTH_JS,
    dataframe,
    download,
    drag_slider,
    edit_select_cell,
    expect_rerun,
    goto_page,
    grid_rows,
    metric_values,
    open_app,
    plotly_selector,
    plotly_trace_length,
    press_slider_keys,
    screenshot,
    select_option,
    set_number,
    slider_value,
    track_script_runs,
    upload_file,
    wait_for_app_idle,
    wait_for_metrics,
    wait_for_slider_value,
    wait_for_text,
    widget,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
README_SCREENSHOT = ROOT / "docs" / "screenshot.png"
# Set to 1 to write README_SCREENSHOT from the Evaluate page.
README_SCREENSHOT_ENV = "EXPLORER_README_SCREENSHOT"
README_VIEWPORT = {"width": 1400, "height": 900}

TRAIN_TIMEOUT_MS = 120_000
WATCHED_EPOCHS = 150
N_ROWS = 300
TARGET = "rain"
LOSS_CHART_KEY = "loss_curve"
THRESHOLD_LABEL = "Decision threshold"
MODEL_BUTTON = "Download model file (.pt)"
PREDICTIONS_BUTTON = "Download predictions (.csv)"
METRIC_LABELS = {
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
}
COUNT_LABELS = {
    "tp": "TP (true positives)",
    "fp": "FP (false positives)",
    "tn": "TN (true negatives)",
    "fn": "FN (false negatives)",
}

# Returns the loss curve's length once it differs from the last one seen,
# or once the run has ended, with whether the progress bar was on screen.
CURVE_CHANGE_JS = f"""
([selector, last]) => {{
  const length = ({PLOTLY_TRACE_LENGTH_JS})([selector, 0]);
  const running = document.querySelector('[data-testid="stProgress"]') !== null;
  const finished = Array.from(
    document.querySelectorAll('[data-testid="stAlertContentSuccess"]')
  ).some((alert) => alert.textContent.includes("Training finished after"));
  if (finished || (length !== null && length !== last)) {{
    return {{length, running, finished}};
  }}
  return null;
}}
"""
SCROLL_TO_METRICS_JS = """
(main) => {
  const card = main.querySelector('[data-testid="stMetric"]');
  const top = card.getBoundingClientRect().top - main.getBoundingClientRect().top;
  main.scrollTo(0, main.scrollTop + top - 60);
}
"""
PROGRESS_EPOCH_JS = """
(minimum) => {
  const bar = document.querySelector('[data-testid="stProgress"]');
  const match = bar && bar.textContent.match(/epoch (\\d+) \\//);
  return match && Number(match[1]) >= minimum ? Number(match[1]) : null;
}
"""


@pytest.fixture(scope="module")
def weather_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV of 300 rows: numeric temp, yes/no target rain, categorical city.

    The target is not the last column, which the Data page picks by default,
    so every test has to choose it.
    """
    rng = np.random.default_rng(7)
    temp = rng.normal(20.0, 6.0, N_ROWS).round(1)
    city = rng.choice(["lima", "oslo", "rome"], N_ROWS)
    score = (temp - 20.0) / 4.0 + np.where(city == "oslo", 1.0, -0.5)
    rain = np.where(score + rng.normal(0.0, 1.0, N_ROWS) > 0, "yes", "no")
    frame = pd.DataFrame({"temp": temp, TARGET: rain, "city": city})
    path = tmp_path_factory.mktemp("weather") / "weather.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def new_rows_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rows to predict, without the target; row 3 has a city never trained on."""
    rng = np.random.default_rng(11)
    city = rng.choice(["lima", "oslo", "rome"], 20).astype(object)
    city[2] = "paris"
    frame = pd.DataFrame({"temp": rng.uniform(5.0, 35.0, 20).round(1), "city": city})
    path = tmp_path_factory.mktemp("new_rows") / "new_rows.csv"
    frame.to_csv(path, index=False)
    return path


def png_bytes() -> bytes:
    """Return a valid 2x2 red PNG image."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def load_weather(page: Page, app_server: str, csv_path: Path) -> None:
    """Upload the weather CSV on the Data page and choose rain as the target."""
    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", csv_path)
    wait_for_text(page, f"{N_ROWS} rows x 3 columns")
    select_option(page, "Target column", TARGET)
    wait_for_text(page, "Positive class")
    wait_for_text(page, "Ready to train")


def start_training(
    page: Page, app_server: str, epochs: int, batch_size: int | None = None
) -> None:
    """Set the epochs (and batch size) on the Train page and start training."""
    goto_page(page, app_server, "Train")
    if batch_size is not None:
        set_number(page, "Batch size (1 = plain", batch_size)
    set_number(page, "Epochs (passes over", epochs)
    with expect_rerun(page):
        page.get_by_role("button", name="Start training").click()


def wait_for_training_end(page: Page, epochs: int) -> None:
    wait_for_text(
        page, f"Training finished after {epochs} epochs", timeout=TRAIN_TIMEOUT_MS
    )
    wait_for_app_idle(page)


def download_model(page: Page, app_server: str, directory: Path) -> Path:
    """Download the current model file from the Predict page."""
    goto_page(page, app_server, "Predict")
    return download(page, MODEL_BUTTON, directory)


def expected_cards(table: ThresholdTable, threshold: float) -> dict[str, str]:
    """Return the metric and count cards core's numbers give at `threshold`."""
    at = table.at(threshold)
    cards = {}
    for name, label in METRIC_LABELS.items():
        # An undefined metric's card reads "undefined"; the reason is below it.
        undefined = at.undefined_reason(name) is not None
        cards[label] = "undefined" if undefined else at.value_text(name)
    for name, label in COUNT_LABELS.items():
        cards[label] = str(getattr(at, name))
    return cards


def observe_loss_curve(page: Page, n_changes: int = 0) -> list[tuple[int, bool]]:
    """Record each new length of the loss curve until the run has finished,
    or until `n_changes` lengths have been seen when it is positive.

    Returns (number of points, progress bar shown) per change seen.
    """
    observed: list[tuple[int, bool]] = []
    last = None
    while not n_changes or len(observed) < n_changes:
        handle = page.wait_for_function(
            CURVE_CHANGE_JS,
            arg=[plotly_selector(LOSS_CHART_KEY), last],
            timeout=TRAIN_TIMEOUT_MS,
            polling=50,
        )
        change = handle.json_value()
        if change["length"] is not None and change["length"] != last:
            last = change["length"]
            observed.append((last, change["running"]))
        if change["finished"]:
            break
    return observed


def wait_for_epoch(page: Page, minimum: int) -> int:
    """Wait until the progress bar shows epoch `minimum` or later; return it."""
    handle = page.wait_for_function(
        PROGRESS_EPOCH_JS, arg=minimum, timeout=TRAIN_TIMEOUT_MS, polling=50
    )
    return int(handle.json_value())


def save_readme_screenshot(page: Page, threshold: float) -> None:
    """Write the README's picture of the Evaluate page: the metric cards,
    their formulas, the confusion matrix and the probability histogram."""
    # The threshold slider reruns only its fragment, which leaves the
    # sidebar's accuracy at the previous threshold; a reload redraws it.
    page.set_viewport_size(README_VIEWPORT)
    with expect_rerun(page):
        page.reload()
    wait_for_text(page, f"Classification report at threshold {threshold:.2f}")
    for key in ("confusion_binary", "probability_histogram"):
        expect(page.locator(plotly_selector(key))).to_be_visible()
    page.get_by_test_id("stMain").evaluate(SCROLL_TO_METRICS_JS)
    # Away from the sidebar, whose collapse button shows on hover.
    page.mouse.move(README_VIEWPORT["width"] - 1, README_VIEWPORT["height"] - 1)
    wait_for_app_idle(page)
    README_SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(README_SCREENSHOT))


def run_id(page: Page) -> str | None:
    values = parse_qs(urlparse(page.url).query).get("run")
    return values[0] if values else None


def test_upload_encode_and_watch_training(
    page: Page, app_server: str, weather_csv: Path
) -> None:
    frame = pd.read_csv(weather_csv)
    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", weather_csv)
    wait_for_text(page, "weather.csv")
    wait_for_text(page, f"{N_ROWS} rows x 3 columns")

    preview = page.get_by_role("tabpanel", name="Preview").get_by_test_id("stDataFrame")
    preview_rows = grid_rows(preview)
    assert list(preview_rows[0]) == ["temp", TARGET, "city"]
    assert float(preview_rows[0]["temp"]) == frame["temp"][0]
    assert preview_rows[0][TARGET] == frame[TARGET][0]
    assert preview_rows[0]["city"] == frame["city"][0]
    page.get_by_role("tab", name="Column profile").click()
    profile = page.get_by_role("tabpanel", name="Column profile").get_by_test_id(
        "stDataFrame"
    )
    expect(profile.get_by_test_id("glide-cell-0-0")).to_have_text("temp")
    kinds = {row["column"]: row["kind"] for row in grid_rows(profile).values()}
    assert kinds["temp"] == "numeric"
    assert kinds["city"] == "categorical"

    select_option(page, "Target column", TARGET)
    wait_for_text(page, "Positive class")
    wait_for_text(page, f"Ready to train: {N_ROWS} rows × 4 features")
    editor = dataframe(page, "encoding")
    table = grid_rows(editor)
    city_row = next(i for i, row in table.items() if row["column"] == "city")
    encoding_column = list(table[city_row]).index("encoding")
    assert [row["column"] for row in table.values()] == ["temp", "city"]
    edit_select_cell(page, editor, city_row, encoding_column, "onehot", "ordinal")
    wait_for_text(page, f"Ready to train: {N_ROWS} rows × 2 features")
    encoded = dataframe(page, f"{TARGET} (code)")
    # The grid redraws a moment after the rerun that changed its columns.
    expect(encoded.locator('th[role="columnheader"]')).to_have_text(
        ["", "temp", "city", f"{TARGET} (code)"]
    )
    assert grid_rows(encoded)[0]["city"] in {"0", "1", "2"}
    screenshot(page, "data-page")

    # Long enough for the once-a-second chart redraw to draw several lengths.
    start_training(page, app_server, epochs=WATCHED_EPOCHS, batch_size=1)
    observed = observe_loss_curve(page)
    while_running = [length for length, running in observed if running]
    increases = sum(
        b > a for a, b in zip(while_running[:-1], while_running[1:], strict=True)
    )
    assert increases >= 2, f"loss curve lengths seen (length, running): {observed}"
    assert all(
        b >= a for a, b in zip(while_running[:-1], while_running[1:], strict=True)
    ), observed
    wait_for_training_end(page, WATCHED_EPOCHS)
    assert plotly_trace_length(page, LOSS_CHART_KEY) == WATCHED_EPOCHS
    wait_for_text(page, f"Model: trained ({WATCHED_EPOCHS} epochs, val loss")
    screenshot(page, "train-page")


def test_threshold_slider_matches_core(
    page: Page, app_server: str, weather_csv: Path, tmp_path: Path
) -> None:
    load_weather(page, app_server, weather_csv)
    start_training(page, app_server, epochs=20)
    wait_for_training_end(page, 20)
    model = bundle.load_model(download_model(page, app_server, tmp_path).read_bytes())
    table = ThresholdTable.from_scores(model.y_valid, model.valid_proba)

    goto_page(page, app_server, "Evaluate")
    slider = widget(page, "stSlider", THRESHOLD_LABEL)
    assert slider_value(slider) == 0.5
    wait_for_metrics(page, expected_cards(table, 0.5))

    dragged = drag_slider(page, slider, 0.25)
    assert abs(dragged - 0.25) <= 0.02
    # A threshold that changes no card would prove nothing.
    assert expected_cards(table, dragged) != expected_cards(table, 0.5)
    wait_for_text(page, f"Classification report at threshold {dragged:.2f}")
    wait_for_metrics(page, expected_cards(table, dragged))

    n_presses = 6
    pressed = round(dragged + n_presses * 0.01, 2)
    press_slider_keys(page, slider, "ArrowRight", n_presses)
    wait_for_slider_value(page, slider, pressed)
    assert expected_cards(table, pressed) != expected_cards(table, dragged)
    wait_for_text(page, f"Classification report at threshold {pressed:.2f}")
    wait_for_metrics(page, expected_cards(table, pressed))
    shown = metric_values(page)
    for label, value in expected_cards(table, pressed).items():
        assert shown[label] == value, label
    screenshot(page, "evaluate-page")

    if os.environ.get(README_SCREENSHOT_ENV) == "1":
        save_readme_screenshot(page, pressed)


def test_downloaded_model_predicts_like_core(
    page: Page,
    app_server: str,
    weather_csv: Path,
    new_rows_csv: Path,
    tmp_path: Path,
) -> None:
    load_weather(page, app_server, weather_csv)
    start_training(page, app_server, epochs=20)
    wait_for_training_end(page, 20)
    model_path = download_model(page, app_server, tmp_path)
    assert model_path.name == f"{TARGET}_model.pt"
    payload = torch.load(model_path, weights_only=True)
    assert payload["format"] == "classifier-explorer-model"
    assert payload["threshold"] == pytest.approx(0.5)
    assert payload["target"]["name"] == TARGET
    assert payload["target"]["classes"] == ["no", "yes"]
    assert payload["target"]["pos_label"] == "yes"
    screenshot(page, "predict-page")

    # A second tab is a new session: the file alone must carry the model.
    second = page.context.new_page()
    track_script_runs(second)
    goto_page(second, app_server, "/predict")
    upload_file(second, "Model file (.pt)", model_path)
    wait_for_text(second, f"Predicting with the model in {model_path.name}")
    wait_for_text(second, "p ≥ 0.50")
    upload_file(second, "CSV file to predict", new_rows_csv)

    rows = core_data.read_csv(new_rows_csv.read_bytes(), name=new_rows_csv.name)
    expected = bundle.load_model(model_path.read_bytes()).predict(rows.frame)
    assert expected.n_scored == len(rows.frame) - 1
    wait_for_text(second, f"Predicted {expected.n_scored} of {len(rows.frame)} rows.")
    wait_for_text(second, "'paris'")
    shown = grid_rows(dataframe(second, "prediction"))
    assert len(shown) >= 5
    for position, cells in shown.items():
        want = expected.frame.iloc[position]
        assert cells["city"] == want["city"], position
        assert cells["prediction"] == (
            "" if pd.isna(want["prediction"]) else want["prediction"]
        ), position
        assert cells["problem"] == want["problem"], position
        if pd.isna(want["probability_yes"]):
            assert cells["probability_yes"] == "", position
        else:
            assert float(cells["probability_yes"]) == pytest.approx(
                float(want["probability_yes"]), abs=1e-6
            ), position
    screenshot(second, "predict-page-uploaded-model")

    csv_path = download(second, PREDICTIONS_BUTTON, tmp_path)
    downloaded = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    assert list(downloaded.columns) == list(expected.frame.columns)
    np.testing.assert_allclose(
        downloaded["probability_yes"].to_numpy(dtype=float),
        expected.frame["probability_yes"].to_numpy(dtype=float),
        rtol=1e-6,
    )
    for column in ("city", "prediction", "problem"):
        assert (
            downloaded[column].fillna("").tolist()
            == expected.frame[column].fillna("").tolist()
        ), column


@pytest.mark.parametrize(
    ("file_name", "message"),
    [
        ("05_empty.csv", "file is empty (0 bytes)"),
        ("picture.csv", "looks like a PNG image, not CSV text"),
    ],
)
def test_bad_csv_shows_error(
    page: Page, app_server: str, tmp_path: Path, file_name: str, message: str
) -> None:
    path = DATA / file_name
    if file_name == "picture.csv":
        path = tmp_path / file_name
        path.write_bytes(png_bytes())
    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", path)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(f"{file_name} cannot be used")
    expect(error).to_contain_text(message)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    wait_for_text(page, "Dataset: none")
    screenshot(page, f"data-page-{file_name}")

    goto_page(page, app_server, "Train")
    wait_for_text(page, "Training stays disabled")
    expect(page.get_by_role("button", name="Start training")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_reload_keeps_training_run(
    page: Page, app_server: str, weather_csv: Path
) -> None:
    # Far more epochs than the test waits for: it stops the run itself once
    # it has seen the run go on after the reload, however fast it trains.
    epochs = 500
    load_weather(page, app_server, weather_csv)
    start_training(page, app_server, epochs=epochs, batch_size=1)
    run = run_id(page)
    assert run
    before_reload = wait_for_epoch(page, 1)

    with expect_rerun(page):
        page.reload()
    assert run_id(page) == run
    wait_for_text(page, "Dataset: weather.csv")
    after_reload = wait_for_epoch(page, before_reload)
    assert wait_for_epoch(page, after_reload + 1) > after_reload
    observed = observe_loss_curve(page, n_changes=2)
    lengths = [length for length, running in observed if running]
    assert len(lengths) == 2, f"loss curve lengths seen (length, running): {observed}"
    assert lengths[0] < lengths[1], observed
    assert lengths[0] >= before_reload

    # The Stop button is in a fragment that reruns on a timer, so the
    # click's rerun is not counted and its message is the signal.
    page.get_by_role("button", name="Stop training").click()
    wait_for_text(page, "Stopped by request in epoch", timeout=TRAIN_TIMEOUT_MS)
    wait_for_app_idle(page)
    n_epochs = plotly_trace_length(page, LOSS_CHART_KEY)
    assert n_epochs is not None and n_epochs >= lengths[1]
    screenshot(page, "train-page-reloaded")

    goto_page(page, app_server, "Evaluate")
    slider = widget(page, "stSlider", THRESHOLD_LABEL)
    press_slider_keys(page, slider, "ArrowRight", 5)
    wait_for_slider_value(page, slider, 0.55)
    wait_for_text(page, "Classification report at threshold 0.55")
    cards = metric_values(page)
    assert set(METRIC_LABELS.values()) <= set(cards)

    with expect_rerun(page):
        page.reload()
    assert re.search(r"/evaluate\?", page.url)
    assert run_id(page) == run
    slider = widget(page, "stSlider", THRESHOLD_LABEL)
    assert slider_value(slider) == 0.55
    wait_for_text(page, "Classification report at threshold 0.55")
    wait_for_metrics(page, cards, timeout=DEFAULT_TIMEOUT_MS)
    screenshot(page, "evaluate-page-reloaded")

    goto_page(page, app_server, "Train")
    wait_for_text(page, "The model of this run is kept")
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    assert plotly_trace_length(page, LOSS_CHART_KEY) == n_epochs
