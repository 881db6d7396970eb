"""Each provider against a real local HTTP server speaking its API: request shape, batching, failures."""

import json
import time
from typing import Any

import pytest
from pytest_django import Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.processes import wait_until
from translations import providers


def configure(settings: Settings, server: HTTPServer, provider: str) -> providers.Provider:
    settings.TRANSLATION_PROVIDER = provider
    settings.TRANSLATION_API_URL = server.url_for("/")
    settings.TRANSLATION_API_KEY = "test-key"
    settings.TRANSLATION_TIMEOUT = 1.0
    return providers.configured()


def bodies(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data) for request, _ in server.log]


def echo_libretranslate(request: Request) -> Response:
    texts = json.loads(request.data)["q"]
    return Response(json.dumps({"translatedText": [f"EN:{text}" for text in texts]}), content_type="application/json")


def echo_deepl(request: Request) -> Response:
    texts = json.loads(request.data)["text"]
    translations = [{"detected_source_language": "KO", "text": f"EN:{text}"} for text in texts]
    return Response(json.dumps({"translations": translations}), content_type="application/json")


def echo_openai(request: Request) -> Response:
    texts = json.loads(json.loads(request.data)["messages"][1]["content"])
    content = json.dumps([f"EN:{text}" for text in texts], ensure_ascii=False)
    return Response(json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}))


def test_libretranslate_sends_one_request_with_every_text(settings: Settings, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/translate", method="POST").respond_with_handler(echo_libretranslate)
    provider = configure(settings, httpserver, "libretranslate")

    result = provider.translate(["사과", "배"], "ko", "en")

    assert result == ["EN:사과", "EN:배"]
    assert bodies(httpserver) == [
        {"q": ["사과", "배"], "source": "ko", "target": "en", "format": "text", "api_key": "test-key"}
    ]


def test_deepl_sends_at_most_fifty_texts_a_request(settings: Settings, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/translate", method="POST").respond_with_handler(echo_deepl)
    provider = configure(settings, httpserver, "deepl")
    texts = [f"문장 {n}" for n in range(120)]

    result = provider.translate(texts, "ko", "en")

    assert result == [f"EN:{text}" for text in texts]
    assert [len(body["text"]) for body in bodies(httpserver)] == [50, 50, 20]
    assert {(body["source_lang"], body["target_lang"]) for body in bodies(httpserver)} == {("KO", "EN-US")}
    assert {request.headers["Authorization"] for request, _ in httpserver.log} == {"DeepL-Auth-Key test-key"}


def test_an_openai_compatible_api_gets_a_json_array_and_answers_one(settings: Settings, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_handler(echo_openai)
    provider = configure(settings, httpserver, "openai")
    texts = [f"질문 {n}" for n in range(45)]

    result = provider.translate(texts, "ko", "en")

    assert result == [f"EN:{text}" for text in texts]
    first = bodies(httpserver)[0]
    assert (first["model"], first["temperature"], first["messages"][0]["role"]) == ("gpt-4o-mini", 0, "system")
    assert [len(json.loads(body["messages"][1]["content"])) for body in bodies(httpserver)] == [40, 5]
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer test-key"


@pytest.mark.parametrize(
    ("provider", "path", "answer", "problem"),
    [
        ("libretranslate", "/translate", Response("boom", status=502), "answered 502"),
        ("libretranslate", "/translate", Response("<html>not json"), "malformed JSON"),
        ("libretranslate", "/translate", Response(json.dumps({"translatedText": ["only one"]})), "not 2 strings"),
        ("deepl", "/v2/translate", Response(json.dumps({"message": "Quota exceeded"}), status=456), "answered 456"),
        ("deepl", "/v2/translate", Response(json.dumps({"translations": "nope"})), "without a list"),
        ("openai", "/v1/chat/completions", Response(json.dumps({"choices": []})), "without a JSON array"),
        (
            "openai",
            "/v1/chat/completions",
            Response(json.dumps({"choices": [{"message": {"content": "Sure! Here you go"}}]})),
            "without a JSON array",
        ),
    ],
)
def test_a_bad_answer_is_a_provider_error(
    settings: Settings, httpserver: HTTPServer, provider: str, path: str, answer: Response, problem: str
) -> None:
    httpserver.expect_request(path).respond_with_response(answer)

    with pytest.raises(providers.ProviderError, match=problem):
        configure(settings, httpserver, provider).translate(["하나", "둘"], "ko", "en")


def test_a_slow_provider_is_given_up_after_the_read_timeout(settings: Settings, httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2)
        return Response("{}")

    httpserver.expect_request("/translate").respond_with_handler(slow)
    provider = configure(settings, httpserver, "libretranslate")
    started = time.monotonic()

    with pytest.raises(providers.ProviderError, match="ReadTimeout"):
        provider.translate(["느림"], "ko", "en")

    assert time.monotonic() - started < 1.9
    wait_until(lambda: len(httpserver.log) == 1, 5, "the slow handler to finish, so it logs in this test")


def test_a_provider_that_is_not_there_is_a_provider_error(settings: Settings) -> None:
    settings.TRANSLATION_PROVIDER, settings.TRANSLATION_API_URL = "libretranslate", "http://127.0.0.1:1/"

    with pytest.raises(providers.ProviderError, match="ConnectionError"):
        providers.configured().translate(["없음"], "ko", "en")


def test_the_pseudo_provider_is_deterministic_and_labelled() -> None:
    provider = providers.PseudoProvider()

    assert provider.translate(["Hello, world"], "en", "ko") == ["[ko] Héllõ, wõrld"]
    assert "development" in provider.label


# --- Code is never translated: every provider gets markers and the code comes back byte for byte.

BLOCK = "```python\n@app.task(acks_late=True)\ndef add(x, y):\n    return x + y  # 합계\n```"
SPAN = "`celery -A proj worker --queues=email`"
ADDRESS = "https://docs.celeryq.dev/en/stable/userguide/tasks.html"
WITH_CODE = (
    f"{SPAN}를 실행하면 무엇이 시작됩니까?\r\n\n{BLOCK}\n\n- 목록 안의 `x.delay()`\n\n[문서]({ADDRESS})를 보세요."
)
ECHOES = {
    "libretranslate": ("/translate", echo_libretranslate),
    "deepl": ("/v2/translate", echo_deepl),
    "openai": ("/v1/chat/completions", echo_openai),
}


@pytest.mark.parametrize("name", ["pseudo", *ECHOES])
def test_every_provider_translates_the_text_and_gives_its_code_back_byte_for_byte(
    settings: Settings, httpserver: HTTPServer, name: str
) -> None:
    if name in ECHOES:
        path, handler = ECHOES[name]
        httpserver.expect_request(path, method="POST").respond_with_handler(handler)
    provider = configure(settings, httpserver, name)

    [result] = providers.translate(provider, [WITH_CODE], "ko", "en")

    assert result.startswith("[en] " if name == "pseudo" else "EN:")
    for code in (BLOCK, SPAN, "`x.delay()`", ADDRESS):
        assert code in result
    assert result.endswith(f"[문서]({ADDRESS})를 보세요.")
    sent = "".join(request.get_data(as_text=True) for request, _ in httpserver.log)
    assert "acks_late" not in sent and "celery -A" not in sent and "docs.celeryq" not in sent


def test_the_language_model_is_told_to_keep_the_markers(settings: Settings, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_handler(echo_openai)

    providers.translate(configure(settings, httpserver, "openai"), [WITH_CODE], "ko", "en")

    messages = bodies(httpserver)[0]["messages"]
    assert "⟦0⟧" in messages[0]["content"]
    assert json.loads(messages[1]["content"])[0].startswith("⟦0⟧를 실행하면")


def test_a_provider_that_drops_a_code_marker_is_a_provider_error(settings: Settings, httpserver: HTTPServer) -> None:
    def forgetful(request: Request) -> Response:
        texts = json.loads(request.data)["q"]
        return Response(json.dumps({"translatedText": [text.replace("⟦1⟧", "") for text in texts]}))

    httpserver.expect_request("/translate", method="POST").respond_with_handler(forgetful)

    with pytest.raises(providers.ProviderError, match="lost or repeated a code marker"):
        providers.translate(configure(settings, httpserver, "libretranslate"), [WITH_CODE], "ko", "en")
