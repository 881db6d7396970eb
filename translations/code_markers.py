"""Code is not for translating: before a text goes to a translation provider, its code blocks, code
spans and link addresses (Markdown, as quiz.rich_text renders it) become numbered markers, which every
provider keeps as they are (an unusual bracket around a number); afterwards the markers get the
original bytes back."""

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

OPEN, CLOSE = "⟦", "⟧"
# The same blocks as the pages' Markdown parser (quiz.rich_text.PARSER) sees, without the inline pass
# that finding code blocks does not need.
BLOCK_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["heading", "lheading", "inline"])
NEWLINE = re.compile(r"\r\n?|\n")  # the line breaks markdown-it counts lines by


def lines_of(text: str) -> list[str]:
    """The text's lines with their own line breaks, split where markdown-it splits them."""
    lines, start = [], 0
    for match in NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each inline code span, as CommonMark pairs backtick runs: a run opens a span
    that the next run of the same length closes. One pass over the runs, whatever the text."""
    runs: list[tuple[int, int]] = []
    position = text.find("`")
    while position >= 0:
        end = position
        while end < len(text) and text[end] == "`":
            end += 1
        runs.append((position, end))
        position = text.find("`", end)
    by_length: dict[int, deque[int]] = defaultdict(deque)
    for index, (start, end) in enumerate(runs):
        by_length[end - start].append(index)
    spans, index = [], 0
    while index < len(runs):
        start, end = runs[index]
        if start > 0 and text[start - 1] == "\\":  # an escaped backtick is text; the rest of its run may open
            start += 1
        closers = by_length[end - start]
        while closers and closers[0] <= index:
            closers.popleft()
        if start < end and closers:
            closer = closers.popleft()
            spans.append((start, runs[closer][1]))
            index = closer + 1
        else:
            index += 1
    return spans


def link_addresses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each inline link's or image's address, the part between "](" and its end."""
    spans = []
    position = text.find("](")
    while position >= 0:
        start = end = position + 2
        while end < len(text) and text[end] not in " \t\r\n)":
            end += 1
        if end > start:
            spans.append((start, end))
        position = text.find("](", end)
    return spans


@dataclass
class Masked:
    """A text ready for a translator: `text` with markers, `kept` what each marker stands for."""

    text: str
    kept: list[str] = field(default_factory=list)
    blocks: set[int] = field(default_factory=set)  # the markers that stand for whole code blocks

    def keep(self, code: str, block: bool = False) -> str:
        self.kept.append(code)
        if block:
            self.blocks.add(len(self.kept) - 1)
        return f"{OPEN}{len(self.kept) - 1}{CLOSE}"


def protect_code(text: str) -> Masked:
    """The text with its code blocks, code spans and link addresses replaced by markers. A text that
    has a marker bracket of its own is sent as it is (no marker could be told from its text)."""
    if OPEN in text or CLOSE in text:
        return Masked(text)
    lines = lines_of(text)
    masked = Masked("")
    pieces: list[str] = []
    line = 0
    for token in BLOCK_PARSER.parse(text):
        if token.type not in ("fence", "code_block") or not token.map:
            continue
        start, end = token.map
        pieces.append(mask_inline("".join(lines[line:start]), masked))
        block = "".join(lines[start:end])
        ending = block[len(block.rstrip("\r\n")) :]
        pieces.append(masked.keep(block[: len(block) - len(ending)], block=True) + ending)
        line = end
    pieces.append(mask_inline("".join(lines[line:]), masked))
    masked.text = "".join(pieces)
    return masked


def mask_inline(text: str, masked: Masked) -> str:
    """Code spans first (a link inside code is code), then the link addresses between them."""
    pieces, position = [], 0
    for start, end in code_spans(text):
        pieces += [mask_addresses(text[position:start], masked), masked.keep(text[start:end])]
        position = end
    pieces.append(mask_addresses(text[position:], masked))
    return "".join(pieces)


def mask_addresses(text: str, masked: Masked) -> str:
    pieces, position = [], 0
    for start, end in link_addresses(text):
        pieces += [text[position:start], masked.keep(text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def restore_code(translated: str, masked: Masked) -> str | None:
    """The translation with each marker given back what it stood for; None unless every marker is
    there exactly once. Tolerates spaces a translator puts inside a marker, and puts a code block
    back on lines of its own if the translator joined it to the text around it."""
    if not masked.kept:
        return translated
    pieces: list[str] = []
    seen: set[int] = set()
    position = 0
    while (start := translated.find(OPEN, position)) >= 0:
        close = translated.find(CLOSE, start)
        inside = translated[start + 1 : close].strip() if close >= 0 else ""
        # A number is short: int() of thousands of digits (a provider's garbage) would raise.
        if not (inside.isascii() and inside.isdigit() and len(inside) <= 6):
            return None
        number = int(inside)
        if number >= len(masked.kept) or number in seen:
            return None
        seen.add(number)
        before, code = translated[position:start], masked.kept[number]
        if number in masked.blocks:
            before = before.rstrip(" \t")
            if (before or pieces) and not (before or pieces[-1]).endswith(("\n", "\r")):
                before += "\n"
            if translated[close + 1 : close + 2] not in ("", "\n", "\r"):
                code += "\n"
        pieces += [before, code]
        position = close + 1
    if len(seen) != len(masked.kept):
        return None
    pieces.append(translated[position:])
    return "".join(pieces)
