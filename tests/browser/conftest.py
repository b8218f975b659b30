"""Browser fixtures: the real server in a subprocess, Debian's Chromium driven by Playwright.

- ``server``: the base URL (``http://127.0.0.1:<port>/``) of ``dhs-ai-kg serve`` over the
  packaged dataset, started once per module and stopped with SIGTERM; ``running_server`` runs
  any other server command the same way.
- ``browser``: a headless Chromium at ``/usr/bin/chromium`` (never a Playwright-downloaded
  build); missing, it is installed with apt when running as root, else every test fails
  saying how to install it.
- ``page``: a fresh page whose ``page.requests`` lists every URL the page asked for and
  ``page.dialogs`` every alert/confirm/prompt it opened (each dismissed); the test fails when
  the page logged a Content Security Policy violation (``page.csp_violations``) or threw,
  unless the test cleared those lists itself.
- ``shoot(page, name)``: saves a screenshot as ``artifacts/screenshots/<name>.png``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from stores import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@contextmanager
def running_server(command: list[str], port: int, log_path: Path) -> Iterator[str]:
    """Run ``command`` (a server that binds 127.0.0.1:``port``) until the block ends; its base
    URL once /healthz answers. Its output goes to ``log_path``, never an undrained pipe: the
    access log of a few hundred requests fills a pipe's buffer, and the server then blocks
    writing its log. Stopped with SIGTERM (SIGKILL after 30 s)."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        base = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(600):  # wait for the bind: up to ~60 s on a loaded box
                try:
                    with urllib.request.urlopen(base + "healthz", timeout=5) as response:
                        if response.status == 200:
                            break
                except (ConnectionError, urllib.error.URLError):
                    if proc.poll() is not None:
                        output = log_path.read_text(errors="replace")
                        pytest.fail(f"the server exited ({proc.returncode}):\n{output}")
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not answer /healthz within 60 s")
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dhs-ai-kg serve`` (the production server) on a free loopback port; its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "dhs_ai_kg_cli", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with running_server(command, port, tmp_path_factory.mktemp("server") / "server.log") as base:
        yield base


def _ensure_chromium() -> None:
    """Install Debian's Chromium when it is missing and we can (root with apt), so the README's
    test command works on a fresh Debian machine; otherwise fail saying how to install it."""
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for args in (["update", "-q"], ["install", "-y", "-q", "chromium"]):
            subprocess.run(["apt-get", *args], env=env, capture_output=True, timeout=900)
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with "
            "`apt-get update && apt-get install -y chromium`; never `playwright install`.",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, with background networking off."""
    _ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page; ``page.requests`` collects the URL of every request it makes."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.requests = requests
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if is_csp_violation(message.text) else None,
    )
    page.csp_violations = violations
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.dialogs = dialogs
    try:
        yield page
        assert not violations, f"Content Security Policy violations: {violations}"
        assert not errors, f"uncaught errors in the page: {errors}"
    finally:
        context.close()


def is_csp_violation(text: str) -> bool:
    """Whether a console message is Chromium reporting a Content Security Policy violation."""
    return "Content Security Policy" in text or text.startswith("Refused to")


@pytest.fixture
def shoot() -> Callable[[object, str], Path]:
    """Save a full-page screenshot of ``page`` as ``artifacts/screenshots/<name>.png``."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
