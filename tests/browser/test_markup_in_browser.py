"""Markdown in column, class, category and file names, seen in Chromium.

The CSV's target column, its classes, a category and the file name are
written in Markdown with an image that points at a closed loopback port.
Every page must show them as written: no bold or italic made from them, no
link with hidden text, no <img> element and no request for the image.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from components.script_download import file_stem
from tests.browser.helpers import (
    dataframe,
    download,
    goto_page,
    grid_rows,
    open_app,
    screenshot,
    upload_file,
    wait_for_app_idle,
    wait_for_text,
)

IMAGE_URL = "http://127.0.0.1:9/none.png"
TARGET = f"**x** _y_ ![img]({IMAGE_URL})"
CLASSES = ("**x**", "_y_")
CATEGORY = f"![c]({IMAGE_URL}) [lnk](http://127.0.0.1:9/t)"
FILE_NAME = "_f_ **n**.csv"
N_ROWS = 80
EPOCHS = 3
TRAIN_TIMEOUT_MS = 120_000
# A <strong> or <em> whose whole text is x, y, f or n was made from the
# Markdown in the names.
MADE_FROM_NAMES = re.compile(r"^\s*[xyfn]\s*$")


@pytest.fixture
def markup_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    f1 = rng.normal(size=N_ROWS).round(3)
    frame = pd.DataFrame(
        {
            "f1": f1,
            "color": np.where(np.arange(N_ROWS) % 2 == 0, "red", CATEGORY),
            TARGET: np.where(f1 > 0, CLASSES[0], CLASSES[1]),
        }
    )
    path = tmp_path / FILE_NAME
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def new_rows_csv(tmp_path: Path) -> Path:
    """Two rows to predict; the second has a formula as its unseen category."""
    frame = pd.DataFrame({"f1": [0.7, -0.2], "color": [CATEGORY, "=1+2"]})
    path = tmp_path / "new_rows.csv"
    frame.to_csv(path, index=False)
    return path


def assert_names_plain(page: Page, where: str) -> None:
    """Check that the names show as written and made no markup or request."""
    wait_for_app_idle(page)
    wait_for_text(page, TARGET)
    images = page.locator(f'img[src="{IMAGE_URL}"]')
    expect(images, f"image on {where}").to_have_count(0)
    # A bare address still becomes a link that shows the address itself,
    # but no link may show other text than its address.
    links = page.locator('a[href^="http://127.0.0.1:9"]')
    for link in links.all():
        assert link.inner_text() == link.get_attribute("href"), where
    markup = page.locator("strong, em").filter(has_text=MADE_FROM_NAMES)
    expect(markup, f"bold or italic on {where}").to_have_count(0)


def test_markdown_names_show_as_written(
    page: Page, app_server: str, markup_csv: Path, new_rows_csv: Path, tmp_path: Path
) -> None:
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", markup_csv)
    wait_for_text(page, "Ready to train")
    wait_for_text(page, FILE_NAME)
    assert_names_plain(page, "Data")
    screenshot(page, "markup-data")

    goto_page(page, app_server, "Train")
    assert_names_plain(page, "Train")
    epochs = page.get_by_test_id("stNumberInput").filter(has_text="Epochs (passes")
    epochs.locator("input").fill(str(EPOCHS))
    epochs.locator("input").press("Enter")
    wait_for_app_idle(page)
    page.get_by_role("button", name="Start training").click()
    wait_for_text(
        page, f"Training finished after {EPOCHS} epochs", timeout=TRAIN_TIMEOUT_MS
    )
    assert_names_plain(page, "Train after training")
    screenshot(page, "markup-train")

    goto_page(page, app_server, "Evaluate")
    assert_names_plain(page, "Evaluate")
    wait_for_text(page, "Decision threshold: label a row")
    screenshot(page, "markup-evaluate")

    goto_page(page, app_server, "Predict")
    assert_names_plain(page, "Predict")
    model_file = download(page, "Download model file (.pt)", tmp_path)
    assert model_file.name == f"{file_stem(TARGET)}_model.pt"
    assert "*" not in model_file.name

    upload_file(page, "CSV file to predict", new_rows_csv)
    wait_for_text(page, "Predicted 1 of 2 rows")
    wait_for_text(page, "spreadsheet programs run as a formula")
    wait_for_text(page, CATEGORY)
    rows = grid_rows(dataframe(page, "problem"))
    assert rows[1]["prediction"] == ""
    assert rows[1]["color"] == "=1+2"
    assert rows[1]["problem"]
    assert_names_plain(page, "Predict with rows")
    screenshot(page, "markup-predict")

    assert not [url for url in requested if url.startswith("http://127.0.0.1:9/")]


# True when no element in the main block is wider than the block itself.
NO_OVERFLOW_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return main.scrollWidth <= main.clientWidth + 1;
}
"""


def test_long_names_fit_the_page(page: Page, app_server: str, tmp_path: Path) -> None:
    target = "t" * 10_000
    long_class = "c" * 5_000
    rng = np.random.default_rng(5)
    f1 = rng.normal(size=N_ROWS).round(3)
    frame = pd.DataFrame({"f1": f1, target: np.where(f1 > 0, long_class, "short")})
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)

    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", path)
    wait_for_text(page, "Ready to train")
    goto_page(page, app_server, "Train")
    page.get_by_role("button", name="Start training").click()
    wait_for_text(page, "Training finished after", timeout=TRAIN_TIMEOUT_MS)
    for title in ("Data", "Train", "Evaluate", "Predict"):
        goto_page(page, app_server, title)
        wait_for_app_idle(page)
        wait_for_text(page, "t" * 100 + "…")
        assert page.evaluate(NO_OVERFLOW_JS), title
        screenshot(page, f"long-names-{title.lower()}")
    model_file = download(page, "Download model file (.pt)", tmp_path)
    assert model_file.name == "t" * 60 + "_model.pt"
