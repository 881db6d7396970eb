"""Every string of the interface is translated: `makemessages` run over a copy of the tree, as a
developer runs it, finds no message without its Korean translation (English is the source language)."""

import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.processes import ROOT, process_env

CATALOGUE = Path("locale/ko/LC_MESSAGES/django.po")


def tree_copy(destination: Path) -> Path:
    """The files git tracks or would track (the committed catalogue included), outside the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def test_every_string_of_the_interface_has_its_korean_translation(tmp_path: Path) -> None:
    tree = tree_copy(tmp_path / "tree")
    collected = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ko", "--ignore", "tests/*", "--ignore", "bench/*"],
        cwd=tree,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr[-3000:]

    with (tree / CATALOGUE).open("rb") as po:
        catalogue = read_po(po)
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else [message.string]))
    ]

    assert untranslated == [], f"run makemessages and translate these in {CATALOGUE}"
