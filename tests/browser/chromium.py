"""Debian's Chromium (apt install chromium), driven by Playwright. Never a downloaded browser build."""

import shutil
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")


def executable() -> str | None:
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if fallback.exists() else None
