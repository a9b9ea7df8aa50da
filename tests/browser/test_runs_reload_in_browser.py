"""A reloaded tab lists every run it trained and can make the first current."""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    expect_rerun,
    goto_page,
    press_slider_keys,
    screenshot,
    wait_for_slider_value,
    wait_for_text,
    widget,
)
from tests.browser.test_app_in_browser import (
    THRESHOLD_LABEL,
    load_weather,
    start_training,
    wait_for_training_end,
    weather_csv,  # noqa: F401 (a fixture)
)


def url_run_ids(page: Page) -> list[str]:
    return parse_qs(urlparse(page.url).query).get("run", [])


def test_reload_lists_both_runs(
    page: Page,
    app_server: str,
    weather_csv: Path,  # noqa: F811
) -> None:
    load_weather(page, app_server, weather_csv)
    start_training(page, app_server, epochs=3)
    wait_for_training_end(page, 3)
    goto_page(page, app_server, "Evaluate")
    slider = widget(page, "stSlider", THRESHOLD_LABEL)
    press_slider_keys(page, slider, "ArrowRight", 5)
    wait_for_slider_value(page, slider, 0.55)
    first = url_run_ids(page)
    assert len(first) == 1

    start_training(page, app_server, epochs=4)
    wait_for_training_end(page, 4)
    ids = url_run_ids(page)
    assert len(ids) == 2
    assert ids[1] == first[0]

    goto_page(page, app_server, "Runs")
    with expect_rerun(page):
        page.reload()
    assert url_run_ids(page) == ids
    wait_for_text(page, "2 run(s) kept")
    expect(page.get_by_text("No finished training yet")).to_have_count(0)
    use_first = page.get_by_role("button", name="Use run 1")
    expect(use_first).to_be_enabled()
    expect(page.get_by_role("button", name="Use run 2")).to_be_disabled()
    wait_for_text(page, "trained (4 epochs")
    screenshot(page, "runs-page-reloaded")

    with expect_rerun(page):
        use_first.click()
    expect(page.get_by_role("button", name="Use run 1")).to_be_disabled()
    wait_for_text(page, "trained (3 epochs")
    assert url_run_ids(page) == [ids[1], ids[0]]
    goto_page(page, app_server, "Evaluate")
    wait_for_text(page, "Classification report at threshold 0.55")
