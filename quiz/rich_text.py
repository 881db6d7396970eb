"""Markdown in question texts, choices and explanations, rendered to HTML that is safe to show.

markdown-it-py parses CommonMark (raw HTML off, tables and strikethrough on), Pygments colours fenced
code blocks that name their language, and nh3 then keeps only an explicit allow-list of tags,
attributes, classes and URL schemes: whatever the parser or highlighter let through, no script, event
handler, style or javascript:/data: URL reaches a page.
"""

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

CODE_CLASS = "highlight"  # the class static/css/code.css styles (pygmentize -S ... -a .highlight)
FORMATTER = HtmlFormatter(nowrap=True)

BLOCK_TAGS = {"p", "br", "hr", "ul", "ol", "li", "blockquote", "pre", "table", "thead", "tbody", "tr", "th", "td"}
INLINE_TAGS = {"em", "strong", "s", "code", "span", "a", "img", "br"}
SAFE = nh3.Cleaner(
    tags=BLOCK_TAGS | INLINE_TAGS,
    # Forbidden tags go with everything inside them, not just their markup.
    clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"},
    attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}},
    allowed_classes={"pre": {CODE_CLASS}, "span": {name for name in STANDARD_TYPES.values() if name}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    # A code block that scrolls sideways must be reachable by keyboard to be scrolled (axe's
    # scrollable-region-focusable).
    set_tag_attribute_values={"img": {"loading": "lazy"}, "pre": {"tabindex": "0"}},
    attribute_filter=lambda tag, name, value: None if tag == "img" and name == "src" and is_http(value) else value,
)


def is_http(url: str) -> bool:
    """A plain-http address, read as a browser reads it (spaces and control characters dropped). An
    image goes only by https or from our own site: the Content-Security-Policy allows no other
    (drillquiz/settings.py), and a plain-http image would be mixed content on the HTTPS site."""
    return "".join(char for char in url if char > " ").lower().startswith("http:")


def sanitise(html: str) -> str:
    """Only the allow-listed tags, attributes, classes and URL schemes of an HTML fragment."""
    return SAFE.clean(html)


def highlight_code(code: str, language: str, _attrs: str) -> str:
    """A fenced block in a language Pygments knows, as coloured spans; "" leaves it to the parser."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return ""
    return f'<pre class="{CODE_CLASS}"><code>{highlight(code, lexer, FORMATTER)}</code></pre>\n'


# Headings are off: question texts are shown inside a heading or a fieldset's legend already, so
# "# word" stays text. `breaks` keeps a single newline a line break, as the plain-text pages had.
PARSER = (
    MarkdownIt("commonmark", {"html": False, "breaks": True, "highlight": highlight_code})
    .enable(["table", "strikethrough"])
    .disable(["heading", "lheading"])
)


# Rendering is a pure function of the text, so each process keeps its latest results (the text is the
# key): a text edited in Admin, or a new translation, is a new key and renders at once, and nothing needs
# invalidating. In process rather than in Redis: most texts render in less time than a Redis round trip
# (23 us median for the demo's texts, 0.57 ms with a Python block; a Redis get 168 us; see the README).
# 1,024 texts are a few pages of every exam in both languages; choices are short, so more of them.
@lru_cache(maxsize=1024)
def render(text: str) -> str:
    """Markdown as sanitised block HTML (paragraphs, lists, code blocks, tables)."""
    return sanitise(PARSER.render(text))


@lru_cache(maxsize=4096)
def render_inline(text: str) -> str:
    """Markdown as sanitised inline HTML, for a choice inside its label: code, emphasis, links, images."""
    return sanitise(PARSER.renderInline(text))


# Code is not for translating: before a text goes to a translation provider, its code blocks, code
# spans and link addresses become numbered markers, which every provider keeps as they are (an
# unusual bracket around a number), and afterwards the markers get the original bytes back.
OPEN, CLOSE = "⟦", "⟧"
# The same blocks as PARSER sees, without the inline pass that finding code blocks does not need.
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
