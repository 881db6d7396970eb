"""Machine translation providers, chosen by TRANSLATION_PROVIDER. Each translates a batch of texts in
as few requests as its limits allow, with connect and read timeouts, and raises ProviderError for
anything but a complete, well-formed answer."""

import json
from typing import TYPE_CHECKING, Any, Protocol

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a type-checking helper, not installed in production

from drillquiz.chunks import chunked
from translations import code_markers
from translations.code_markers import CLOSE, OPEN

CONNECT_TIMEOUT = 3.05


class ProviderError(Exception):
    """The provider is down, slow, refused the request or answered something unusable."""


class Provider(Protocol):
    name: str

    @property
    def label(self) -> "StrOrPromise":
        """Shown on pages that show machine-translated text, in the reader's language."""

    def translate(self, texts: list[str], source: str, target: str) -> list[str]: ...


def post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """POST JSON and return the decoded answer; ProviderError for every way that can fail."""
    try:
        response = requests.post(
            url, json=payload, headers=headers, timeout=(CONNECT_TIMEOUT, settings.TRANSLATION_TIMEOUT)
        )
    except requests.RequestException as error:
        raise ProviderError(f"{type(error).__name__} calling the translation provider") from None
    if response.status_code != 200:
        raise ProviderError(f"translation provider answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise ProviderError("translation provider answered with malformed JSON") from None


def strings(value: Any, count: int, what: str) -> list[str]:
    """value if it is a list of exactly `count` strings, else ProviderError."""
    if not isinstance(value, list) or len(value) != count or not all(isinstance(item, str) for item in value):
        raise ProviderError(f"translation provider answered {what} that is not {count} strings")
    return value


class PseudoProvider:
    """Deterministic pseudo-localisation for development and tests: no network, obviously not real."""

    name = "pseudo"
    label = _("pseudo-translation (development only)")
    ACCENTS = str.maketrans("aeiouAEIOUcnsy", "àéîõüÀÉÎÕÜçñšý")

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        return [f"[{target}] {text.translate(self.ACCENTS)}" for text in texts]


class LibreTranslateProvider:
    """A LibreTranslate-compatible API: POST /translate with q as a list of texts."""

    name = "libretranslate"
    label = _("machine translation (LibreTranslate)")
    BATCH = 100

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        translated = []
        for batch in chunked(texts, self.BATCH):
            payload = {"q": batch, "source": source, "target": target, "format": "text"}
            if settings.TRANSLATION_API_KEY:
                payload["api_key"] = settings.TRANSLATION_API_KEY
            answer = post_json(f"{settings.TRANSLATION_API_URL.rstrip('/')}/translate", payload)
            translated += strings(
                answer.get("translatedText") if isinstance(answer, dict) else None, len(batch), "text"
            )
        return translated


class DeepLProvider:
    """DeepL's API v2: at most 50 texts per request."""

    name = "deepl"
    label = _("machine translation (DeepL)")
    BATCH = 50
    TARGETS = {"en": "EN-US", "pt": "PT-BR"}  # DeepL wants a variant for these

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        headers = {"Authorization": f"DeepL-Auth-Key {settings.TRANSLATION_API_KEY}"}
        translated = []
        for batch in chunked(texts, self.BATCH):
            payload = {
                "text": batch,
                "source_lang": source.upper(),
                "target_lang": self.TARGETS.get(target, target.upper()),
            }
            answer = post_json(f"{settings.TRANSLATION_API_URL.rstrip('/')}/v2/translate", payload, headers)
            items = answer.get("translations") if isinstance(answer, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ProviderError("translation provider answered without a list of translations")
            translated += strings([item.get("text") for item in items], len(batch), "translations")
        return translated


class OpenAIChatProvider:
    """An OpenAI-compatible chat-completions API (OpenAI, or a self-hosted model server)."""

    name = "openai"
    label = _("machine translation (language model)")
    BATCH = 40  # keeps prompt and answer well inside a model's context

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        headers = {"Authorization": f"Bearer {settings.TRANSLATION_API_KEY}"}
        translated = []
        for batch in chunked(texts, self.BATCH):
            payload = {
                "model": settings.TRANSLATION_MODEL,
                "temperature": 0,
                "messages": [
                    {
                        "role": "system",
                        "content": f"Translate each string of the JSON array the user sends from {source} to "
                        f"{target}. Answer with only a JSON array of the translations, in the same order. "
                        f"Keep every marker such as {OPEN}0{CLOSE} exactly as it is: it stands "
                        "for code.",
                    },
                    {"role": "user", "content": json.dumps(batch, ensure_ascii=False)},
                ],
            }
            answer = post_json(f"{settings.TRANSLATION_API_URL.rstrip('/')}/v1/chat/completions", payload, headers)
            try:
                content = json.loads(answer["choices"][0]["message"]["content"])
            except (KeyError, IndexError, TypeError, ValueError):
                raise ProviderError("translation provider answered without a JSON array in its message") from None
            translated += strings(content, len(batch), "a message")
        return translated


PROVIDERS: dict[str, type[Provider]] = {
    provider.name: provider for provider in (PseudoProvider, LibreTranslateProvider, DeepLProvider, OpenAIChatProvider)
}


def translate(provider: Provider, texts: list[str], source: str, target: str) -> list[str]:
    """The provider's translations of texts, with their code (blocks, spans, link addresses) kept out of
    the provider's hands and put back byte for byte; ProviderError if it lost or repeated a marker."""
    masked = [code_markers.protect_code(text) for text in texts]
    translated = provider.translate([item.text for item in masked], source, target)
    restored = []
    for text, item in zip(translated, masked, strict=True):
        back = code_markers.restore_code(text, item)
        if back is None:
            raise ProviderError("translation provider lost or repeated a code marker")
        restored.append(back)
    return restored


def configured() -> Provider:
    """The provider TRANSLATION_PROVIDER names."""
    return PROVIDERS[settings.TRANSLATION_PROVIDER]()
