"""Render the app icons from static/icons/favicon.svg with the browser tests' Chromium.

Run once when the icon changes (`.venv/bin/python scripts/make_icons.py`) and commit the files:
the PNGs for phones' home screens and the manifest, and public/favicon.ico (one 32 px PNG in an
ICO container, which every browser since 2007 reads) for browsers that ask for /favicon.ico.
"""

import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "static" / "icons"
SIZES = {"apple-touch-icon.png": 180, "icon-192.png": 192, "icon-512.png": 512, "favicon-32.png": 32}


def ico(png: bytes, size: int) -> bytes:
    """An ICO file holding one PNG image: the header, one directory entry, the image."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def main() -> None:
    # Home-screen icons are full squares: the phone rounds their corners itself.
    svg = (ICONS / "favicon.svg").read_text().replace(' rx="7"', "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, size in SIZES.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(f"<style>*{{margin:0}}svg{{display:block;width:{size}px;height:{size}px}}</style>{svg}")
            png = page.screenshot(omit_background=True)
            if name == "favicon-32.png":
                (ROOT / "public" / "favicon.ico").write_bytes(ico(png, size))
            else:
                (ICONS / name).write_bytes(png)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
