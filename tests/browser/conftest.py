"""Fixtures that run the app in a real Streamlit server and drive it in Chromium.

The server runs once per test session, and a second one with a 1 MB upload
limit runs for the module that asks for it. Each test gets a fresh browser
context, so cookies, downloads and Streamlit sessions do not leak between
tests. Set EXPLORER_APP to a script path to serve another script than
app.py (used to check the harness itself).
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import screenshot, track_script_runs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BROWSER_DIR = Path(__file__).resolve().parent
CHROMIUM_PATH = "/usr/bin/chromium"
# The background-networking flags stop Chromium from calling hosts that the
# closed network here refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 10.0
DEFAULT_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Mark every test under tests/browser with the `browser` marker."""
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None]:
    """Store each phase's report on the item so `page` can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app_script() -> Path:
    script = Path(os.environ.get("EXPLORER_APP", "app.py"))
    if not script.is_absolute():
        script = PROJECT_ROOT / script
    if not script.is_file():
        pytest.fail(f"Streamlit script {script} not found; set EXPLORER_APP or add it.")
    return script


def _is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Process id of each running app server by base URL, for memory checks.
SERVER_PIDS: dict[str, int] = {}


@contextlib.contextmanager
def _serve(*options: str) -> Iterator[str]:
    """Run `streamlit run` with `options` on a free loopback port; yield its URL."""
    script = _app_script()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *options,
    ]
    # A file, not a pipe, so a chatty server never blocks on a full buffer.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_until_healthy(process, f"{base_url}/_stcore/health", log)
        SERVER_PIDS[base_url] = process.pid
        yield base_url
    finally:
        SERVER_PIDS.pop(base_url, None)
        _stop(process)
        log.close()


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Start the app on a free loopback port and yield its base URL."""
    with _serve() as base_url:
        yield base_url


# Upload limit of the second server, in Streamlit's megabytes (MiB).
SMALL_UPLOAD_MB = 1


@pytest.fixture(scope="module")
def small_upload_server() -> Iterator[str]:
    """Start a second app server that accepts uploads up to SMALL_UPLOAD_MB."""
    with _serve("--server.maxUploadSize", str(SMALL_UPLOAD_MB)) as base_url:
        yield base_url


def _wait_until_healthy(
    process: subprocess.Popen[bytes], health_url: str, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _is_healthy(health_url):
            return
        time.sleep(0.2)
    exited = process.poll() is not None
    _stop(process)
    log.seek(0)
    output = log.read().decode(errors="replace")
    if exited:
        problem = f"exited with code {process.returncode} before answering {health_url}"
    else:
        problem = (
            f"did not answer {health_url} with 'ok' within "
            f"{SERVER_START_TIMEOUT_S:.0f} s and was stopped"
        )
    pytest.fail(f"Streamlit server {problem}. Its output:\n{output}")


@pytest.fixture(scope="session")
def app_server_pid(app_server: str) -> int:
    """Return the process id of the app server."""
    return SERVER_PIDS[app_server]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch Debian's headless Chromium once per session."""
    if not os.access(CHROMIUM_PATH, os.X_OK):
        # A skip would let CI pass without a single browser test.
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}. Run `make test`, which "
            "installs it as root, or run `apt-get install -y chromium`."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Open a page in a fresh context and save a screenshot if the test fails."""
    context: BrowserContext = browser.new_context(
        viewport=VIEWPORT, accept_downloads=True
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    new_page = context.new_page()
    track_script_runs(new_page)
    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not new_page.is_closed():
        path = screenshot(new_page, f"failed-{request.node.name}")
        print(f"Screenshot of the failed test: {path.relative_to(PROJECT_ROOT)}")
    context.close()
