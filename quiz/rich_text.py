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
    set_tag_attribute_values={"img": {"loading": "lazy"}},
    # An image only by https (or from our own site): the Content-Security-Policy allows no other
    # (drillquiz/settings.py), and a plain-http image would be mixed content on the HTTPS site.
    attribute_filter=lambda tag, name, value: (
        None if tag == "img" and name == "src" and value.strip().lower().startswith("http:") else value
    ),
)


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
# invalidating. In process rather than in Redis: a render takes 50-150 us, no more than a round trip.
# 1,024 texts are a few pages of every exam in both languages; choices are short, so more of them.
@lru_cache(maxsize=1024)
def render(text: str) -> str:
    """Markdown as sanitised block HTML (paragraphs, lists, code blocks, tables)."""
    return SAFE.clean(PARSER.render(text))


@lru_cache(maxsize=4096)
def render_inline(text: str) -> str:
    """Markdown as sanitised inline HTML, for a choice inside its label: code, emphasis, links, images."""
    return SAFE.clean(PARSER.renderInline(text))
