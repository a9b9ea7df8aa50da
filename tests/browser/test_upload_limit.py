"""A CSV over the server's upload limit gets a readable message in the browser."""

from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect

from tests.browser.conftest import SMALL_UPLOAD_MB
from tests.browser.helpers import open_app, screenshot, widget

MIB = 1024 * 1024


def write_large_csv(path: Path, n_bytes: int) -> Path:
    """Write a valid CSV of at least `n_bytes` bytes."""
    rng = np.random.default_rng(0)
    n_rows = n_bytes // 20
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n_rows).round(6),
            "z": rng.normal(size=n_rows).round(6),
            "label": rng.choice(["yes", "no"], n_rows),
        }
    )
    frame.to_csv(path, index=False)
    assert path.stat().st_size >= n_bytes
    return path


def test_oversized_csv_gets_message(
    page: Page, small_upload_server: str, tmp_path: Path
) -> None:
    large = write_large_csv(tmp_path / "large.csv", 2 * SMALL_UPLOAD_MB * MIB)
    open_app(page, small_upload_server)
    limit = f"A file over {SMALL_UPLOAD_MB} MB is rejected before it reaches the app"
    expect(page.get_by_text(limit)).to_be_visible()
    expect(page.get_by_text("Train on a random sample of its rows")).to_be_visible()

    uploader = widget(page, "stFileUploader", "Upload a CSV file")
    # Streamlit rejects the file in the browser, so no script run follows.
    uploader.locator('input[type="file"]').set_input_files(large)
    chip = uploader.get_by_test_id("stFileChip")
    expect(chip).to_have_attribute("aria-invalid", "true")
    expect(uploader.get_by_role("alert")).to_have_text(
        f"Error: File must be {SMALL_UPLOAD_MB:.1f}MB or smaller."
    )
    # The reason is only read out to screen readers until the pointer is
    # on the file's name, which the caption above tells the user.
    chip.hover()
    tooltip = page.get_by_text(
        f"File must be {SMALL_UPLOAD_MB:.1f}MB or smaller.", exact=True
    )
    expect(tooltip).to_be_visible()
    screenshot(page, "upload-over-limit")
    expect(
        page.get_by_text("Upload a CSV file or load a sample dataset")
    ).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Dataset: none")).to_be_visible()
