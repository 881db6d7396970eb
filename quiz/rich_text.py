"""Markdown in question texts, choices and explanations, rendered to HTML that is safe to show.

markdown-it-py parses CommonMark (raw HTML off, tables and strikethrough on), Pygments colours fenced
code blocks that name their language, and nh3 then keeps only an explicit allow-list of tags,
attributes, classes and URL schemes: whatever the parser or highlighter let through, no script, event
handler, style or javascript:/data: URL reaches a page.
"""

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
