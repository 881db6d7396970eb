"""Each provider against a real local HTTP server speaking its API: request shape, batching, failures."""

import json
import time

import pytest
from pytest_django import Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from quiz.translation import providers
from tests.processes import wait_until


def configure(settings: Settings, server: HTTPServer, provider: str) -> providers.Provider:
    settings.TRANSLATION_PROVIDER = provider
    settings.TRANSLATION_API_URL = server.url_for("/")
    settings.TRANSLATION_API_KEY = "test-key"
    settings.TRANSLATION_TIMEOUT = 1.0
    return providers.configured()


def bodies(server: HTTPServer) -> list[dict]:
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
