"""A real headless browser (Debian's Chromium) opening our HTML pages.

``make test`` installs Chromium where it can (Debian, as root: CI); elsewhere the
tests that need it say so and skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

#: Opens the page in a same-origin iframe, then reports every image that did not
#: decode and every relative link that does not load, as JSON in a <pre>.
_CHECKER = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="PAGE" style="width:1280px;height:900px"></iframe>
<script>
const f = document.getElementById("f");
f.onload = async () => {
  const d = f.contentDocument;
  const images = [...d.images];
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => i.getAttribute("src").slice(0, 80));
  const anchors = [...d.querySelectorAll("a[href]")];
  const bad = [];
  for (const a of anchors) {
    const href = a.getAttribute("href");
    if (/^(https?:|mailto:|#)/.test(href)) continue;
    try { const r = await fetch(new URL(href, f.src)); if (!r.ok) bad.push(href); }
    catch (e) { bad.push(href); }
  }
  document.getElementById("out").textContent = JSON.stringify(
    {images: images.length, broken, links: anchors.length, bad, title: d.title});
};
</script></body></html>
"""
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
          "--allow-file-access-from-files"]  # fmt: skip


def chromium() -> str | None:
    """The Chromium executable, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_page(page: Path, scratch: Path) -> dict:
    """Load ``page`` in Chromium: image count, broken images, link count, links that fail."""
    checker = scratch / "check_page.html"
    checker.write_text(_CHECKER.replace("PAGE", page.resolve().as_uri()), encoding="utf-8")
    result = subprocess.run(
        [chromium(), *_FLAGS, "--virtual-time-budget=20000", "--dump-dom", checker.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="out">([^<]*)</pre>', result.stdout)
    if not found or found.group(1) == "pending":
        raise RuntimeError(f"chromium did not report on {page}: {result.stderr[-500:]}")
    return json.loads(found.group(1).replace("&amp;", "&").replace("&quot;", '"'))


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the top ``height`` pixels of ``page`` as Chromium renders it."""
    subprocess.run(
        [chromium(), *_FLAGS, f"--window-size={width},{height}", f"--screenshot={png}",
         page.resolve().as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    return png
