"""Opening a report in a real browser: Playwright driving Debian's chromium (no browser download).

``make test``'s set-up installs both. Without a chromium the browser tests skip, unless
``NEURONMOTIF_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = os.environ.get("NEURONMOTIF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("NEURONMOTIF_REQUIRE_BROWSER") == "1":
            pytest.fail("no chromium: install Debian's chromium (make test's set-up does), or set NEURONMOTIF_CHROMIUM")
        pytest.skip("no chromium on this machine (make test's set-up installs it)")
    return path


@dataclass
class Problems:
    """What a report must never do: log an error, throw, open a dialog, or fetch anything but itself."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self, report: Path) -> list[str]:
        return [url for url in self.requests if url != report.resolve().as_uri() and not url.startswith("data:")]


@contextlib.contextmanager
def open_report(report: Path):
    """``with open_report(path) as (page, problems): ...``: the report loaded from its file in headless chromium."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium()
    problems = Problems()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.on("console", lambda m: problems.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.page_errors.append(str(e)))
            page.on("request", lambda r: problems.requests.append(r.url))

            def dialog(d):
                problems.dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", dialog)
            page.goto(report.resolve().as_uri())
            yield page, problems
        finally:
            browser.close()


def assert_clean(problems: Problems, report: Path) -> None:
    assert not problems.console_errors, problems.console_errors
    assert not problems.page_errors, problems.page_errors
    assert not problems.dialogs, f"the report opened dialogs: {problems.dialogs}"
    assert not problems.foreign_requests(report), problems.foreign_requests(report)
