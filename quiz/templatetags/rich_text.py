"""{{ text|markdown }} and {{ text|markdown_inline }}: Markdown as sanitised HTML (quiz.rich_text)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from quiz import rich_text

register = template.Library()


@register.filter(is_safe=True)
def markdown(text: str) -> SafeString:
    """Blocks (paragraphs, lists, code blocks) in a div: for question texts and explanations."""
    return mark_safe(f'<div class="rich">{rich_text.render(str(text))}</div>')  # noqa: S308 - sanitised by nh3


@register.filter(is_safe=True)
def markdown_inline(text: str) -> SafeString:
    """Inline Markdown only (code, emphasis, links, images) in a span: for a choice inside its label."""
    return mark_safe(f'<span class="rich">{rich_text.render_inline(str(text))}</span>')  # noqa: S308 - sanitised by nh3
