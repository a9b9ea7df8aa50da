"""Event-based waits and small actions for driving a Streamlit app in Playwright.

Two signals tell when Streamlit is done, and neither needs a sleep:

- The server's websocket messages. Every script run starts with a
  `new_session` ForwardMsg and ends with `script_finished`. `ScriptRunTracker`
  counts them, so a wait after a click can tell the run it caused from the
  idle state that the previous run left.
- The DOM. Streamlit 1.67 sets `data-test-script-state` on its root element
  (data-testid="stApp") to "initial", "running", "notRunning",
  "rerunRequested", "stopRequested" or "compilationError", and
  `data-test-connection-state` to "CONNECTED" once the websocket is up.
  A run of a few milliseconds can leave no "running" state in the DOM at
  all (seen on about one page switch in twelve with a tiny script), so the
  DOM alone cannot confirm that a rerun happened.
"""

import re
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, WebSocket, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"
DEFAULT_TIMEOUT_MS = 30_000
STREAM_PATH = "/_stcore/stream"
MAX_FRAME_WAIT_MS = 100
NAV_LINK_SELECTOR = '[data-testid="stSidebarNavLink"], [data-testid="stTopNavLink"]'

# True when the websocket is connected, no script run is in progress and no
# loading skeleton is on screen. "compilationError" also ends a run.
APP_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
  const state = app.getAttribute("data-test-script-state");
  if (state !== "notRunning" && state !== "compilationError") return false;
  const skeletons = document.querySelectorAll(
    '[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'
  );
  return Array.from(skeletons).every((el) => el.getClientRects().length === 0);
}
"""

APP_STATE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return "no stApp element";
  return "script " + app.getAttribute("data-test-script-state")
    + ", connection " + app.getAttribute("data-test-connection-state");
}
"""

# Resolves after two animation frames. NOTE: this gives React time to commit
# the updates from messages already received, but does not guarantee it, so
# assert on content with wait_for_text or Playwright's auto-waiting locators.
TWO_FRAMES_JS = """
() => new Promise((resolve) =>
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))
"""


@dataclass
class ScriptRunTracker:
    """Script runs of one page, read from Streamlit's websocket messages.

    Runs of fragments with `run_every` are left out of `started`,
    `finished` and `pending`, because they repeat on a timer rather than in
    answer to an action.
    """

    started: int = 0
    finished: int = 0
    pending: set[str] = field(default_factory=set)
    auto_rerun_fragments: set[str] = field(default_factory=set)
    pages_not_found: list[str] = field(default_factory=list)
    websocket: WebSocket | None = None

    def attach(self, websocket: WebSocket) -> None:
        """Listen to `websocket` if it is Streamlit's message stream."""
        if STREAM_PATH not in websocket.url:
            return
        self.websocket = websocket
        # Runs of the previous connection never finish on this one.
        self.pending.clear()
        websocket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        run = message.metadata.run
        if kind == "new_session":
            fragment_ids = set(run.fragment_ids)
            if not fragment_ids or not fragment_ids <= self.auto_rerun_fragments:
                self.started += 1
                self.pending.add(run.script_run_id)
        elif kind == "script_finished":
            self._finish(run.script_run_id, message.script_finished)
        elif kind == "auto_rerun":
            self.auto_rerun_fragments.add(message.auto_rerun.fragment_id)
        elif kind == "stop_auto_rerun":
            self.auto_rerun_fragments.difference_update(
                message.stop_auto_rerun.fragment_ids
            )
        elif kind == "page_not_found":
            self.pages_not_found.append(message.page_not_found.page_name)

    def _finish(self, script_run_id: str, status: int) -> None:
        # Streamlit leaves the run id out only when a request from the
        # browser failed, and then it ends whatever run was in progress.
        if not script_run_id:
            self.pending.clear()
        elif script_run_id in self.pending:
            self.pending.discard(script_run_id)
        else:
            return
        # A run cut short by a rerun is followed by another run, so it does
        # not count as finished.
        if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1


_trackers: "weakref.WeakKeyDictionary[Page, ScriptRunTracker]" = (
    weakref.WeakKeyDictionary()
)


def track_script_runs(page: Page) -> ScriptRunTracker:
    """Start counting script runs on `page`. Call it before the first `goto`."""
    tracker = ScriptRunTracker()
    _trackers[page] = tracker
    page.on("websocket", tracker.attach)
    return tracker


def script_runs(page: Page) -> ScriptRunTracker:
    """Return the tracker that `track_script_runs` attached to `page`."""
    try:
        return _trackers[page]
    except KeyError:
        raise AssertionError(
            "Script runs are not tracked on this page. Use the `page` fixture "
            "or call track_script_runs(page) before page.goto."
        ) from None


def app_state(page: Page) -> str:
    """Describe the script and connection state for failure messages."""
    return page.evaluate(APP_STATE_JS)


def wait_for_app_idle(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the DOM shows no script run and no loading skeleton.

    This cannot tell whether an action just taken has started its rerun yet,
    so wrap the action in `expect_rerun` for that.
    """
    try:
        page.wait_for_function(APP_IDLE_JS, timeout=timeout)
    except PlaywrightTimeoutError as error:
        raise AssertionError(
            f"Streamlit app not idle after {timeout:.0f} ms ({app_state(page)})."
        ) from error
    page.evaluate(TWO_FRAMES_JS)


def _wait_for_messages(
    page: Page, condition: Callable[[], bool], timeout: float, what: str
) -> None:
    # Playwright calls the frame handlers only while a sync call runs, so
    # the loop blocks until the next frame and then checks again. Each wait
    # is capped because after a page.goto the socket in hand may be the old
    # one, which gets no more frames while the new one does.
    tracker = script_runs(page)
    deadline = time.monotonic() + timeout / 1000
    while not condition():
        remaining_ms = (deadline - time.monotonic()) * 1000
        if remaining_ms <= 0:
            raise AssertionError(
                f"{what} within {timeout:.0f} ms (runs started {tracker.started}, "
                f"finished {tracker.finished}; {app_state(page)})."
            )
        wait_ms = min(remaining_ms, MAX_FRAME_WAIT_MS)
        websocket = tracker.websocket
        try:
            if websocket is None or websocket.is_closed():
                page.wait_for_timeout(wait_ms)
            else:
                websocket.wait_for_event("framereceived", timeout=wait_ms)
        except PlaywrightTimeoutError:
            continue
        except PlaywrightError:
            # The socket closed during the wait; the next pass uses the new one.
            continue


@contextmanager
def expect_rerun(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> Iterator[None]:
    """Wait, after the block, until a run started in it has finished.

    Use it around a click, an input or a `page.goto` that makes Streamlit
    run the script or a fragment. A block that starts no run fails after
    `timeout` milliseconds. Runs of a fragment with `run_every` are not
    counted, so for a widget inside such a fragment wait for its output
    with `wait_for_text` instead.
    """
    tracker = script_runs(page)
    started_before = tracker.started
    yield
    _wait_for_messages(
        page,
        lambda: tracker.started > started_before,
        timeout,
        "No Streamlit script run started",
    )
    _wait_for_messages(
        page,
        lambda: not tracker.pending,
        timeout,
        "Streamlit script run did not finish",
    )
    wait_for_app_idle(page, timeout=timeout)


def finished_runs(page: Page) -> int:
    """Return how many script runs on `page` have reached their end."""
    return script_runs(page).finished


def wait_for_text(
    page: Page, text: str, timeout: float = DEFAULT_TIMEOUT_MS, exact: bool = False
) -> None:
    """Wait until `text` is visible; by default a case-insensitive substring."""
    try:
        page.get_by_text(text, exact=exact).first.wait_for(
            state="visible", timeout=timeout
        )
    except PlaywrightTimeoutError as error:
        raise AssertionError(
            f"Text {text!r} not visible after {timeout:.0f} ms ({app_state(page)})."
        ) from error


def open_app(page: Page, url: str) -> None:
    """Load `url` in a new Streamlit session and wait for its first run."""
    with expect_rerun(page):
        page.goto(url)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""


def goto_page(page: Page, base_url: str, page_title_or_path: str) -> None:
    """Open an app page by URL path ("/train") or by its navigation label.

    A URL path loads the page in a new Streamlit session, so session state
    starts empty. A label clicks the navigation link, which keeps the
    session, and loads the app's default page first when none is open.
    """
    if page_title_or_path.startswith("/"):
        tracker = script_runs(page)
        n_not_found = len(tracker.pages_not_found)
        open_app(page, base_url.rstrip("/") + page_title_or_path)
        # Streamlit runs the default page for an unknown path, so this is
        # the only sign that the path was wrong.
        if len(tracker.pages_not_found) > n_not_found:
            raise AssertionError(
                f"Streamlit found no page at {page_title_or_path!r}; use the "
                "page's url_path, or '/' for the default page."
            )
        return

    if not page.url.startswith(base_url):
        open_app(page, base_url)
    # A link's text starts with its icon's ligature name ("upload_file")
    # when the page has a material icon, so only the last line is compared.
    links = page.locator(NAV_LINK_SELECTOR)
    labels = [_last_line(text) for text in links.all_inner_texts()]
    matches = [i for i, label in enumerate(labels) if label == page_title_or_path]
    if len(matches) != 1:
        raise AssertionError(
            f"Expected one navigation link labelled {page_title_or_path!r}, "
            f"found {len(matches)}. Labels: {labels}"
        )
    with expect_rerun(page):
        links.nth(matches[0]).click()


# Streamlit scrolls the page inside stMain, a container as high as the
# viewport, so Playwright's full_page option alone captures the viewport only.
MAIN_SCROLL_HEIGHT_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return main ? main.scrollHeight : null;
}
"""
MAX_SCREENSHOT_HEIGHT = 8000


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as tests/artifacts/<name>.png.

    The viewport is stretched to the height of Streamlit's main block for
    the capture, at most MAX_SCREENSHOT_HEIGHT pixels, and then restored.
    """
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = ARTIFACTS_DIR / f"{safe_name}.png"
    size = page.viewport_size
    try:
        height = page.evaluate(MAIN_SCROLL_HEIGHT_JS)
    except PlaywrightError:
        # A failure screenshot must not fail itself on a broken page.
        height = None
    if size is None or not height or height <= size["height"]:
        page.screenshot(path=str(path), full_page=True)
        return path
    page.set_viewport_size(
        {"width": size["width"], "height": min(height, MAX_SCREENSHOT_HEIGHT)}
    )
    try:
        page.evaluate(TWO_FRAMES_JS)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path


# --- widgets ------------------------------------------------------------------


def widget(page: Page, test_id: str, label: str) -> Locator:
    """Return the element `test_id` (such as "stSlider") whose label contains
    `label`; it must be the only one."""
    label_locator = page.get_by_test_id("stWidgetLabel").filter(has_text=label)
    found = page.get_by_test_id(test_id).filter(has=label_locator)
    expect(found).to_have_count(1)
    return found


def upload_file(page: Page, label: str, path: Path | str) -> None:
    """Choose `path` in the file uploader labelled `label` and wait for the rerun.

    The uploader's `type` list applies here as in a file dialog, so the
    file name must end with an accepted extension.
    """
    uploader = widget(page, "stFileUploader", label)
    with expect_rerun(page):
        uploader.locator('input[type="file"]').set_input_files(path)


def select_option(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`; it must not be the
    current value, because choosing that again starts no rerun."""
    box = widget(page, "stSelectbox", label)
    # The list closes when the page scrolls, so the scroll that Playwright
    # makes before a click must be over before the click opens the list.
    box.scroll_into_view_if_needed()
    page.evaluate(TWO_FRAMES_JS)
    box.locator('button[aria-haspopup="listbox"]').click()
    with expect_rerun(page):
        page.get_by_role("option", name=option, exact=True).click()


def set_number(page: Page, label: str, value: float) -> None:
    """Type `value` into the number input labelled `label` and submit it."""
    field = widget(page, "stNumberInput", label).locator("input")
    if field.input_value() == str(value):
        return
    with expect_rerun(page):
        field.fill(str(value))
        field.press("Enter")


def metric_values(page: Page) -> dict[str, str]:
    """Return the value text of every st.metric card, keyed by its label.

    When two cards share a label, the first on the page is kept.
    """
    return page.evaluate(METRICS_JS)


METRICS_JS = """
() => {
  const values = {};
  for (const card of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = card.querySelector('[data-testid="stMetricLabel"]');
    const value = card.querySelector('[data-testid="stMetricValue"]');
    if (!label || !value) continue;
    const key = label.textContent.trim();
    if (!(key in values)) values[key] = value.textContent.trim();
  }
  return values;
}
"""

METRICS_MATCH_JS = f"""
(expected) => {{
  const shown = ({METRICS_JS})();
  return Object.entries(expected).every(([label, value]) => shown[label] === value);
}}
"""


def wait_for_metrics(
    page: Page, expected: dict[str, str], timeout: float = DEFAULT_TIMEOUT_MS
) -> None:
    """Wait until each metric card labelled with a key of `expected` shows
    the value text given for it."""
    try:
        page.wait_for_function(METRICS_MATCH_JS, arg=expected, timeout=timeout)
    except PlaywrightTimeoutError as error:
        raise AssertionError(
            f"Metric cards did not show {expected} within {timeout:.0f} ms; "
            f"shown: {metric_values(page)} ({app_state(page)})."
        ) from error


# --- sliders ------------------------------------------------------------------


def slider_input(slider: Locator) -> Locator:
    """Return the range input of a one-thumb st.slider element."""
    return slider.locator('input[type="range"]')


def slider_value(slider: Locator) -> float:
    """Return the value a one-thumb st.slider shows."""
    return float(slider_input(slider).input_value())


def drag_slider(page: Page, slider: Locator, fraction: float) -> float:
    """Drag the thumb of `slider` with the mouse to `fraction` of its track.

    Waits for the rerun the release starts and returns the new value.
    """
    # The range input sits in a visually hidden box inside the thumb, which
    # is positioned along the track element that contains it.
    thumb = slider_input(slider).locator("xpath=../..")
    track = thumb.locator("xpath=..")
    thumb.scroll_into_view_if_needed()
    thumb_box = thumb.bounding_box()
    track_box = track.bounding_box()
    assert thumb_box is not None and track_box is not None, "slider not visible"
    y = thumb_box["y"] + thumb_box["height"] / 2
    with expect_rerun(page):
        page.mouse.move(thumb_box["x"] + thumb_box["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(track_box["x"] + fraction * track_box["width"], y, steps=8)
        page.mouse.up()
    return slider_value(slider)


def press_slider_keys(page: Page, slider: Locator, key: str, count: int) -> None:
    """Focus the thumb of `slider` and press `key` `count` times.

    Every press moves the thumb one step and starts its own rerun, so
    follow it with `wait_for_slider_value` for the value after the last one.
    """
    thumb = slider_input(slider)
    thumb.focus()
    for _ in range(count):
        page.keyboard.press(key)


def _number_pattern(value: float) -> re.Pattern[str]:
    # Matches the way JavaScript writes `value` ("0.4", "1") and padded forms.
    text = f"{value:.10f}".rstrip("0")
    if text.endswith("."):
        return re.compile(f"^{re.escape(text[:-1])}(?:\\.0*)?$")
    return re.compile(f"^{re.escape(text)}0*$")


def wait_for_slider_value(
    page: Page, slider: Locator, value: float, timeout: float = DEFAULT_TIMEOUT_MS
) -> None:
    """Wait until `slider` shows `value` and no script run is in progress.

    This does not prove that the rerun of the last move has ended, so
    wait for its output too, such as text drawn from the value.
    """
    expect(slider_input(slider)).to_have_value(_number_pattern(value), timeout=timeout)
    wait_for_app_idle(page, timeout=timeout)


# --- dataframes, data editors and charts --------------------------------------

# glide-data-grid draws st.dataframe and st.data_editor on a canvas, and keeps
# an accessible copy of the rendered rows in a table inside the canvas.
GRID_ROWS_JS = """
(element) => {
  const table = element.querySelector('table[role="grid"]');
  if (!table) return null;
  const columns = Array.from(table.querySelectorAll("thead th"), (th) =>
    th.textContent);
  return Array.from(table.querySelectorAll("tbody tr"), (tr) => {
    const cells = {};
    tr.querySelectorAll("td").forEach((td, i) => {
      cells[columns[i]] = td.textContent;
    });
    return [Number(tr.getAttribute("aria-rowindex")) - 2, cells];
  });
}
"""
# The default row height of Streamlit's grids, header row included.
GRID_ROW_HEIGHT_PX = 35


def dataframe(page: Page, column: str) -> Locator:
    """Return the one st.dataframe or st.data_editor with a column named `column`."""
    header = page.locator(f'th[role="columnheader"]:text-is("{column}")')
    found = page.get_by_test_id("stDataFrame").filter(has=header)
    expect(found).to_have_count(1)
    return found


def grid_rows(grid: Locator) -> dict[int, dict[str, str]]:
    """Return the rendered rows of a grid as {row position: {column: text}}.

    Waits until the grid has drawn at least one row. NOTE: the grid renders
    only the rows in its visible window (about ten), so a long table needs
    its CSV download for the other rows.
    """
    # The accessible table appears a few frames after the canvas.
    expect(grid.locator('table[role="grid"] tbody tr').first).to_be_attached()
    rows = grid.evaluate(GRID_ROWS_JS)
    assert rows is not None, "no accessible table in the grid"
    return {int(position): cells for position, cells in rows}


def edit_select_cell(
    page: Page, grid: Locator, row: int, column: int, current: str, option: str
) -> None:
    """Choose `option` in the selectbox cell at (`row`, `column`) of a data editor.

    The cell is reached with the grid's keyboard navigation from the first
    cell, because cell positions on the canvas depend on column widths.
    `current` is the cell's value, checked in the opened editor so that a
    wrong cell fails here. Waits for the rerun the edit starts.
    """
    grid.scroll_into_view_if_needed()
    grid.get_by_test_id("stDataFrameResizable").click(
        position={"x": 10, "y": GRID_ROW_HEIGHT_PX * 1.5}
    )
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    editor = page.get_by_test_id("portal").locator(".gdg-clip-region")
    expect(editor).to_be_visible()
    expect(editor).to_contain_text(current)
    page.keyboard.type(option)
    with expect_rerun(page):
        page.keyboard.press("Enter")
    cell = grid.get_by_test_id(f"glide-cell-{column}-{row}")
    expect(cell).to_have_text(option)


# plotly.py 6 and later send numpy arrays as {"dtype", "bdata"} (base64), and
# plotly.js keeps that form in the chart's `data`.
PLOTLY_TRACE_LENGTH_JS = """
([selector, trace]) => {
  const plot = document.querySelector(selector);
  if (!plot || !plot.data || plot.data.length <= trace) return null;
  const x = plot.data[trace].x;
  if (x == null) return 0;
  if (x.length !== undefined) return x.length;
  const itemBytes = {i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8};
  if (x.bdata !== undefined && x.dtype in itemBytes) {
    return atob(x.bdata).length / itemBytes[x.dtype];
  }
  return null;
}
"""


def plotly_selector(key: str) -> str:
    """Return the CSS selector of the plotly chart drawn with `key`."""
    return f".st-key-{key} .js-plotly-plot"


def plotly_trace_length(page: Page, key: str, trace: int = 0) -> int | None:
    """Return the number of x values of trace `trace` in the chart `key`,
    or None while the chart or the trace is not drawn."""
    return page.evaluate(PLOTLY_TRACE_LENGTH_JS, [plotly_selector(key), trace])


def download(page: Page, button_label: str, directory: Path) -> Path:
    """Click the download button `button_label` and save the file in `directory`.

    The file keeps the name the app suggests, so an uploader that checks
    extensions accepts it again.
    """
    with page.expect_download() as info:
        page.get_by_role("button", name=button_label).click()
    path = directory / info.value.suggested_filename
    info.value.save_as(path)
    return path
