"""Headless Chromium for the tests (the Debian ``chromium`` and ``chromium-driver`` packages, driven
by Selenium; nothing is downloaded). Reusable: ``chromium()`` yields a WebDriver, ``screenshot(driver,
name, tmp_path)`` keeps a PNG as a test artifact (under ``test-artifacts/`` at the repository root
too). Without the browser a test fails, naming what is missing.

    from browser import chromium, screenshot
    def test_page(tmp_path):
        with chromium() as driver:
            driver.get(url)
            screenshot(driver, "page", tmp_path)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1800", "--lang=zh-CN")


def require_chromium() -> None:
    """Fail, naming what to install, when Chromium, its driver or Selenium is missing: the browser tests are
    part of the suite everywhere (``.ci/run`` installs the browser), never skipped."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (the test extra)")
    if missing:
        message = (f"headless Chromium is not available: {', '.join(missing)} missing "
                   "(apt-get install chromium chromium-driver; .ci/run does so)")
        pytest.fail(message)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium WebDriver with a fresh profile, always quit (and the profile removed)."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sr-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console_errors() reads them
    driver = None
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list[str]:
    """The page's console errors since last asked (a script error, a failed request)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def screenshot(driver, name: str, tmp_path: Path) -> Path:
    """Save the whole page as ``tmp_path/NAME.png`` and copy it to ``test-artifacts/``; checks it is a PNG."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 800)")
    driver.set_window_size(1400, min(int(height) + 120, 6000))
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)), "Chromium took no screenshot"
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000, f"{path} is not a real PNG ({len(data)} bytes)"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / path.name)
    return path
