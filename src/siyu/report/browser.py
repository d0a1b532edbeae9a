"""Open a report in headless Chromium, screenshot it, and check the charts drew (issue 7's rendering check).

Used by the report test and the metrics bench. The report has no script, so "no script errors" means the
console stayed silent; "charts render" means every inline SVG chart drew marks beyond its background (or says
it has no data), and the screenshot is far from blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1400,2400"]
NO_DATA = ("无数据", "no data")


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium(page: Path, *extra: str, binary: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local page with a throwaway profile (nothing fetched: the page is offline)."""
    exe = binary or find_chromium()
    if exe is None:
        raise FileNotFoundError("Chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)


@dataclass
class Rendered:
    """What Chromium made of the page."""

    returncode: int
    console_errors: list[str]
    screenshot: Path
    screenshot_bytes: int
    blank_bytes: int
    charts: int
    blank_charts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.returncode == 0 and not self.console_errors and self.charts >= 10 and not self.blank_charts
                and self.screenshot_bytes > 5 * self.blank_bytes)


def render_check(page: Path, screenshot: Path) -> Rendered:
    """Screenshot `page` to `screenshot` and check it: no console errors, charts drawn, not a blank page."""
    run = chromium(page, f"--screenshot={screenshot}")
    errors = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.html"
        blank.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
        blank_shot = Path(tmp) / "blank.png"
        chromium(blank, f"--screenshot={blank_shot}")
        blank_bytes = blank_shot.stat().st_size if blank_shot.exists() else 0
    dom = chromium(page, "--dump-dom").stdout
    charts = re.findall(r'<svg[^>]*data-chart="(\w+)"[^>]*>(.*?)</svg>', dom, flags=re.S)
    # a chart drew something beyond its background rectangle, or says it has no data
    blank_charts = [kind for kind, body in charts
                    if len(re.findall(r"<(path|circle|line|rect)\b", body)) - 1 <= 0
                    and not any(w in body for w in NO_DATA)]
    size = screenshot.stat().st_size if screenshot.exists() else 0
    return Rendered(run.returncode, errors, screenshot, size, blank_bytes, len(charts), blank_charts)
