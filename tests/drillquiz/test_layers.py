"""The layers of the README's "Architecture": import-linter checks the contracts in pyproject.toml,
so an upward import or a cycle (also one hidden in a function) fails here."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_imports_only_go_down_the_layers_and_no_app_imports_in_a_circle() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
