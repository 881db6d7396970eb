"""Markers for translation: code goes out as a marker and comes back byte for byte."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translations import code_markers

MARKDOWN_PIECES = st.sampled_from(
    [
        *("```py\n", "```\n", "~~~\n", "    ", "  ", "- ", "> ", "`", "``", "\\`", "](", ")", "[a]"),
        *("\n", "\r\n", "\r", "x = 1", "코드", "text", " ", "⟦0⟧", "https://e.example/a.png"),
    ]
)
MARKDOWN_TEXT = st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=5)), max_size=25).map("".join)


@settings(max_examples=500)
@given(text=st.one_of(MARKDOWN_TEXT, st.text(max_size=200)))
def test_markers_given_back_untouched_restore_the_text_exactly(text: str) -> None:
    masked = code_markers.protect_code(text)

    assert code_markers.restore_code(masked.text, masked) == text


def test_code_blocks_spans_and_link_addresses_become_markers() -> None:
    text = "Run `celery worker`:\n\n```bash\ncelery -A app worker\n```\n\nSee [docs](https://docs.celeryq.dev/)."

    masked = code_markers.protect_code(text)

    assert masked.text == "Run ⟦0⟧:\n\n⟦1⟧\n\nSee [docs](⟦2⟧)."
    assert masked.kept == ["`celery worker`", "```bash\ncelery -A app worker\n```", "https://docs.celeryq.dev/"]


def test_a_block_marker_joined_to_the_text_is_put_back_on_lines_of_its_own() -> None:
    masked = code_markers.protect_code("Look:\n\n```py\nx = 1\n```\n\nDone.")

    restored = code_markers.restore_code("Schau: ⟦ 0 ⟧ Fertig.", masked)

    assert restored == "Schau:\n```py\nx = 1\n```\n Fertig."


@pytest.mark.parametrize(
    "answer", ["Run it:", "Run ⟦0⟧ and ⟦0⟧:", "Run ⟦7⟧:", "Run ⟦x⟧:", "Run ⟦0:", "Run ⟦0⟧ ⟦" + "9" * 5000 + "⟧"]
)
def test_a_translation_that_lost_or_repeated_a_marker_is_refused(answer: str) -> None:
    masked = code_markers.protect_code("Run `ls`:")

    assert code_markers.restore_code(answer, masked) is None
