"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server (the test
database, committed rows), with a real Celery worker and SMTP sink where email matters.

A `journey` walks one person's job. After each step it checks what a person would: the words on
screen, no console error (a blocked inline script is one), no 4xx/5xx answer the step did not provoke,
no serious or critical axe-core violation, and at phone width (390 px) no page wider than the screen.
It saves a full-page screenshot of the step at desktop (1366×900) and phone (390×844) width into
tests/browser/screenshots/<journey>/ (ignored by git).
"""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection, connections
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.browser import chromium
from tests.integration.conftest import Worker
from tests.smtp_sink import Sink

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = {"serious", "critical"}
PASSWORD = "correct horse battery"  # StaffFactory's

pytestmark = [pytest.mark.browser]


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; Django's ORM, used by the test between
    # steps, refuses to run beside one unless told this thread is the only one using it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    started = time.time()
    with sync_playwright() as playwright:
        # No sandbox: CI runs as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=chromium.executable(), args=["--no-sandbox"])
        yield launched
        launched.close()
        connections.close_all()  # those the test opened beside Playwright's loop
    _end_live_server_sessions(opened_after=started)


def _end_live_server_sessions(*, opened_after: float) -> None:
    """The live server answers each browser connection in a thread with a database session of its own, closed
    when the browser hangs up, a moment after it closed. Waited for (then ended), so that emptying and at last
    dropping the test database never meets one. Only sessions opened during the test: never the test's own."""
    if connection.vendor != "postgresql":
        return
    others = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_start >= to_timestamp(%s)"
    )
    with connection.cursor() as cursor:
        for _ in range(50):
            cursor.execute(others, [opened_after])
            if not cursor.fetchall():
                return
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({others}) AS lingering", [opened_after])  # noqa: S608


class Journey:
    """One person's walk through their job, checked and photographed step by step."""

    def __init__(self, page: Page, base_url: str, name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.folder = SCREENSHOTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.steps = 0
        self.console_errors: list[str] = []
        self.bad_answers: list[tuple[int, str]] = []
        self.axe = Axe()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.bad_answers.append((response.status, response.url))

    def url(self, path: str) -> str:
        return self.base_url + path

    def go(self, path: str) -> None:
        self.page.goto(self.url(path))

    def log_in(self, username: str) -> None:
        self.go("/login/")
        self.step("log in", shows=("Password",))
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name=re.compile("log in", re.I)).click()
        self.page.wait_for_load_state()

    def step(self, title: str, *, shows: tuple[str, ...] = (), provoked: tuple[int, ...] = ()) -> None:
        """Check the page as it stands after the step's actions, and photograph it."""
        page = self.page
        page.wait_for_load_state("networkidle")
        self.steps += 1
        where = f"step {self.steps} ({title}) at {page.url}"
        for words in shows:  # waited for: an htmx swap may still be on its way
            try:
                expect(page.locator("body")).to_contain_text(words, timeout=10_000)
            except AssertionError:
                raise AssertionError(f"{where}: {words!r} is not on the page") from None
        bad = [(status, url) for status, url in self.bad_answers if status not in provoked]
        assert not bad, f"{where}: answers the step did not provoke: {bad}"
        # Chromium logs every 4xx page as a console error too: those the step provoked are expected.
        expected = tuple(f"the server responded with a status of {status} " for status in provoked)
        errors = [text for text in self.console_errors if not any(words in text for words in expected)]
        assert not errors, f"{where}: console errors: {errors}"
        self.console_errors.clear()
        self.bad_answers.clear()
        violations = [v for v in self.axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        assert not violations, f"{where}: accessibility: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in violations
        )
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        page.screenshot(path=self.folder / f"{self.steps:02d}-{slug}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=self.folder / f"{self.steps:02d}-{slug}-phone.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        assert width <= PHONE["width"], f"{where}: {width} px wide at phone width"


@pytest.fixture
def journey(browser, live_server, request):
    """journey(name) -> a Journey in a fresh browser context (no cookies shared between people)."""
    contexts = []

    def start(name: str) -> Journey:
        context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Journey(context.new_page(), live_server.url, name)

    yield start
    for context in contexts:
        context.close()


@pytest.fixture
def mail_sink(settings) -> Iterator[Sink]:
    sink = Sink().start()
    yield sink
    sink.stop()


@pytest.fixture
def worker(mail_sink, settings) -> Iterator[Worker]:
    """A real Celery worker (with beat) on the test database, sending to the sink."""
    running = Worker(redis_url=settings.REDIS_URL, sink=mail_sink, concurrency=2).start()
    yield running
    running.stop()
