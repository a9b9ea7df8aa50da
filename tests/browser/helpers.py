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
from playwright.sync_api import Page, WebSocket
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


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as tests/artifacts/<name>.png."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = ARTIFACTS_DIR / f"{safe_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
