"""The model-based intent judge against a real OpenAI-compatible HTTP server on 127.0.0.1."""

import json

import pytest

from openai_server import ChatServer, Reply
from pav.rewards.intent import load_intent_judge

CAT = "a black cat jumping onto a windowsill"
BAT = "a black bat hovering gently, the camera slowly zooms in"


def answer(items: dict[str, bool]) -> Reply:
    kept = sum(items.values())
    return Reply(json.dumps({"items": [{"item": k, "kept": v} for k, v in items.items()],
                             "score": kept / len(items)}), prompt_tokens=120, completion_tokens=30)


def judge(server, **options):
    return load_intent_judge("llm", {"base_url": server.base_url, "api_key": "sk-test", "backoff_s": 0.0,
                                     "concurrency": 1, "price_in_per_1k": 0.01, "price_out_per_1k": 0.03, **options})


def test_items_the_model_marks_lost_are_the_loss_and_usage_is_counted():
    with ChatServer([answer({"black": True, "cat": False, "jumping": False, "windowsill": False}),
                     answer({"black": True, "cat": True, "jumping": True, "windowsill": True})]) as server:
        llm = judge(server)
        lost, kept = llm.judge([CAT, CAT], [BAT, f"{CAT}, soft light"])
    assert (lost.intent, lost.lost) == (0.25, ["cat", "jumping", "windowsill"])
    assert (kept.intent, kept.lost) == (1.0, [])
    assert (llm.usage.calls, llm.usage.prompt_tokens, llm.usage.completion_tokens) == (2, 240, 60)
    assert llm.usage.cost_usd == pytest.approx(2 * (120 * 0.01 + 30 * 0.03) / 1000)
    body = server.requests[0]["body"]
    assert body["response_format"]["type"] == "json_schema" and body["temperature"] == 0.0
    assert f"ORIGINAL: {CAT}\nREWRITE: {BAT}" in body["messages"][-1]["content"]


def test_answers_are_cached_per_pair(tmp_path):
    with ChatServer([answer({"cat": False})]) as server:
        judge(server, cache_dir=str(tmp_path)).judge([CAT], [BAT])
        again = judge(server, cache_dir=str(tmp_path))
        [result] = again.judge([CAT], [BAT])
    assert result.lost == ["cat"] and (again.usage.calls, again.usage.cached) == (0, 1)
    assert len(server.requests) == 1


def test_a_malformed_answer_is_asked_again_then_fails_uncached(tmp_path):
    with ChatServer([Reply("not json"), answer({"cat": True})]) as server:
        [result] = judge(server).judge([CAT], [CAT])
    assert result.intent == 1.0 and "unusable" in server.requests[1]["body"]["messages"][-1]["content"]
    with ChatServer(default=Reply("still not json")) as server:
        with pytest.raises(RuntimeError, match="failed on 1 of 1 pairs.*malformed answer: not JSON"):
            judge(server, cache_dir=str(tmp_path)).judge([CAT], [BAT])
    assert not list(tmp_path.glob("*.json"))  # a failure is never cached as a result


def test_a_server_error_is_retried_then_named_with_the_key_redacted():
    with ChatServer(default=Reply(status=503)) as server:
        with pytest.raises(RuntimeError, match="request failed: gave up after 2 attempts") as failure:
            judge(server, max_retries=1).judge([CAT], [BAT])
    assert "sk-test" not in str(failure.value) and len(server.requests) == 2
