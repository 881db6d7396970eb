"""Markdown in questions, choices and explanations: what it renders, what the sanitiser lets through
(hostile input included, by Hypothesis)."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from quiz import attempts, rich_text
from quiz.models import Choice, Question
from tests.factories import make_exam

# --- What Markdown renders.


def test_a_fenced_block_with_a_language_is_highlighted_with_our_classes() -> None:
    html = rich_text.render("```python\ndef hello():\n    return 'hi'  # greet\n```")

    assert html.startswith('<pre class="highlight" tabindex="0"><code>')  # focusable: it may scroll
    assert '<span class="k">def</span>' in html
    assert '<span class="c1"># greet</span>' in html


def test_a_block_without_a_known_language_is_plain_escaped_code() -> None:
    html = rich_text.render("```nosuchlanguage\na < b && c\n```")

    assert html == '<pre tabindex="0"><code>a &lt; b &amp;&amp; c\n</code></pre>\n'


def test_inline_code_lists_emphasis_and_line_breaks() -> None:
    html = rich_text.render("Call `send_email.s(to).delay()` *once*:\nthen\n\n- one\n- **two**\n\n1. first")

    assert "<code>send_email.s(to).delay()</code> <em>once</em>:<br>\nthen" in html
    assert "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html


def test_links_get_rel_and_images_load_by_https_only() -> None:
    html = rich_text.render(
        "[docs](https://docs.celeryq.dev/) ![pod](https://example.com/pod.png) ![old](http://example.com/a.png)"
    )

    assert '<a href="https://docs.celeryq.dev/" rel="noopener noreferrer nofollow">docs</a>' in html
    assert '<img src="https://example.com/pod.png" alt="pod" loading="lazy">' in html
    assert "http://example.com/a.png" not in html  # mixed content, and the policy would block it
    assert "src" not in rich_text.sanitise('<img src=" ht&#9;tp://example.com/a.png">')


def test_a_heading_mark_and_raw_html_stay_text() -> None:
    html = rich_text.render("# Not a heading\n<b onclick=x>bold?</b>")

    assert html == "<p># Not a heading<br>\n&lt;b onclick=x&gt;bold?&lt;/b&gt;</p>\n"


def test_a_choice_renders_inline_without_paragraphs() -> None:
    assert rich_text.render_inline("`def` and *lambda*") == "<code>def</code> and <em>lambda</em>"


# --- The sanitiser against hostile input.


class Seen(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser's tokenizer would decode them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    handle_startendtag = handle_starttag


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "background"}


def dangers(html: str) -> list[str]:
    """What of the fragment could run script or load something it should not."""
    seen = Seen()
    seen.feed(html)
    seen.close()
    found = [f"<{tag}>" for tag in seen.tags if tag in {"script", "iframe", "svg", "object", "embed", "style", "math"}]
    for name, value in seen.attributes:
        # Browsers drop whitespace and control characters from a URL's scheme before they read it.
        squeezed = "".join(char for char in value if char > " ").lower()
        if name.startswith("on") or name == "style":
            found.append(f"attribute {name}")
        if name in URL_ATTRIBUTES and squeezed.startswith(("javascript:", "data:", "vbscript:")):
            found.append(f"{name}={value}")
    return found


HOSTILE = [
    "<script>alert(1)</script>",
    "<script src=https://evil.example/x.js>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example/"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&colon;alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:text/html,<script>alert(1)</script>)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<p style="background:url(javascript:alert(1))">',
    '<div style="position:fixed;inset:0">',
    "<b",
    "<a href='",
    '"><img src=x onerror=alert(1)>',
    "`<script>`",
    "```html\n<script>alert(1)</script>\n```",
    "[x](vbscript:msgbox(1))",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<object data=javascript:alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<style>body{display:none}</style>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "*<img src=x onerror=alert(1)>*",
    "\n\n    <script>",
    "> <iframe srcdoc='<script>alert(1)</script>'>",
]
FILLER = st.sampled_from(["", " ", "\n", "\n\n", "text", "`", "*", "_", "[", "]", "(", ")", "!", "<", ">", '"', "'"])
HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(HOSTILE), FILLER), max_size=12).map("".join)


def test_the_check_sees_what_a_raw_fragment_would_do() -> None:
    found = dangers('<svg onload=alert(1)><a href=" JaVa&#x09;ScRiPt:x">')

    assert found == ["<svg>", "attribute onload", "href= JaVa\tScRiPt:x"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_fragment_renders_harmless(text: str) -> None:
    assert dangers(rich_text.render(text)) == []
    assert dangers(rich_text.render_inline(text)) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_the_sanitiser_alone_disarms_a_hostile_fragment_sent_as_html(text: str) -> None:
    """The second line: whatever HTML the parser or highlighter ever let through."""
    assert dangers(rich_text.sanitise(text)) == []


def test_the_sanitiser_keeps_what_markdown_needs_and_drops_the_rest() -> None:
    html = '<p class="x" id="y"><a href="/exams/" target="_blank">a</a><img src="https://e.example/i.png" width=1></p>'

    assert rich_text.sanitise(html) == (
        '<p><a href="/exams/" rel="noopener noreferrer nofollow">a</a>'
        '<img src="https://e.example/i.png" loading="lazy"></p>'
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE_TEXT)
def test_hostile_fragments_in_any_combination_render_harmless(text: str) -> None:
    assert dangers(rich_text.render.__wrapped__(text)) == []
    assert dangers(rich_text.render_inline.__wrapped__(text)) == []
    assert dangers(rich_text.sanitise(text)) == []


@settings(max_examples=300)
@given(text=st.text(max_size=300))
def test_any_text_renders_harmless(text: str) -> None:
    assert dangers(rich_text.render.__wrapped__(text)) == []
    assert dangers(rich_text.render_inline.__wrapped__(text)) == []
    assert dangers(rich_text.sanitise(text)) == []


# --- On the pages.


def test_the_pages_show_rendered_markdown_and_an_edit_at_once(client: Client, learner: User) -> None:
    exam = make_exam("celery", questions=1)
    question = Question.objects.get(exam=exam)
    question.text = "What does `delay()` do?\n\n```python\nadd.delay(2, 2)\n```\n\n<script>alert(1)</script>"
    question.explanation = "It **enqueues** the task; see [the guide](https://docs.celeryq.dev/)."
    question.save()
    Choice.objects.filter(question=question, text="Answer A").update(text="Sends `add` to a *worker*")
    client.force_login(learner)
    attempt = attempts.start_attempt(learner, exam, mode="practice")

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert '<div class="rich"><p>What does <code>delay()</code> do?</p>' in page
    assert '<span class="n">add</span><span class="o">.</span><span class="n">delay</span>' in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="rich">Sends <code>add</code> to a <em>worker</em></span>' in page
    assert '<link rel="stylesheet" href="/static/css/code.css">' in page

    choice = Choice.objects.get(question=question, is_correct=True)
    feedback = client.post(f"/attempts/{attempt.pk}/answer/", {"question": question.pk, "answer": [choice.pk]})
    page = client.get(feedback["Location"]).content.decode()
    assert "It <strong>enqueues</strong> the task" in page
    assert 'href="https://docs.celeryq.dev/" rel="noopener noreferrer nofollow"' in page

    question.explanation = "It *schedules* nothing."  # as an editor saves it in Admin
    question.save()
    assert "It <em>schedules</em> nothing." in client.get(feedback["Location"]).content.decode()
