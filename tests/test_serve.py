"""`pav serve`: the enhancer over the OpenAI protocol on 127.0.0.1, called with the openai client and plain HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from prefect_server import free_port, stop
from pav.models.enhancer import Enhancer
from tiny_models import enhancer_pairs, trained_tiny_enhancer


class Served:
    def __init__(self, model, *flags: str, env: dict | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen([sys.executable, "-m", "pav.cli", "serve", "--model", str(model), "--port",
                                      str(self.port), *flags], env={**os.environ, **(env or {})},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read().decode()[-3000:]
            try:
                self.post("/models", None)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise AssertionError("pav serve did not come up")

    def post(self, path: str, body: dict | None, headers: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def model():
    return trained_tiny_enhancer()


@pytest.fixture(scope="module")
def served(model):
    server = Served(model)
    yield server
    stop(server.proc)


PROMPTS = enhancer_pairs()["prompt"].tolist()[:3]


def test_openai_client_and_plain_http_give_what_pav_enhance_gives(model, served):
    expected = Enhancer.from_pretrained(model / "merged").enhance(PROMPTS, temperature=0, max_new_tokens=40)
    client = openai.OpenAI(base_url=served.base_url, api_key="unused")
    assert [m.id for m in client.models.list().data] == ["sft"]
    for prompt, want in zip(PROMPTS, expected):
        reply = client.chat.completions.create(model="sft", max_tokens=40, messages=[
            {"role": "system", "content": "ignored"}, {"role": "user", "content": prompt}])
        assert reply.choices[0].message.content == want and reply.usage.completion_tokens > 0
        status, body = served.post("/chat/completions", {"messages": [{"role": "user", "content": prompt}],
                                                          "max_tokens": 40})
        assert status == 200 and body["choices"][0]["message"]["content"] == want
    status, body = served.post("/enhance", {"prompts": PROMPTS, "max_tokens": 40})
    assert status == 200 and [r["rewrite"] for r in body["rewrites"]] == expected
    assert all(0 <= r["intent"] <= 1 and isinstance(r["lost"], list) for r in body["rewrites"])


@pytest.mark.parametrize("body, message", [
    ({"messages": [{"role": "user", "content": "   "}]}, "empty"),
    ({"messages": [{"role": "user", "content": "a cat " * 500}]}, "at most 2000"),
    ({"messages": []}, "messages"),
    ({"prompt": "a cat"}, "messages"),
    ({"messages": [{"role": "system", "content": "a cat"}]}, "no user message"),
    ({"messages": [{"role": "user", "content": "a cat"}], "temperature": 9}, "temperature"),
    ({"messages": [{"role": "user", "content": "a cat"}], "max_tokens": 100000}, "limit of 512")])
def test_bad_requests_get_400_with_a_message(served, body, message):
    status, answer = served.post("/chat/completions", body)
    assert status == 400 and message in answer["error"]["message"], answer


def test_a_full_queue_answers_503_and_the_rest_are_served(model):
    server = Served(model, "--queue", "1", "--max-batch", "1", "--max-wait-ms", "0")
    try:
        body = {"messages": [{"role": "user", "content": PROMPTS[0]}], "max_tokens": 200, "temperature": 1.0}
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: server.post("/chat/completions", body), range(16)))
        statuses = [s for s, _ in answers]
        assert set(statuses) <= {200, 503} and 503 in statuses and 200 in statuses, statuses
        assert all("queue is full" in a["error"]["message"] for s, a in answers if s == 503)
    finally:
        stop(server.proc)


def test_a_bearer_key_is_required_when_configured_and_sigterm_exits_0(model):
    server = Served(model, "--api-key-env", "PAV_TEST_SERVE_KEY", env={"PAV_TEST_SERVE_KEY": "sk-serve"})
    try:
        body = {"messages": [{"role": "user", "content": PROMPTS[0]}], "max_tokens": 8}
        assert server.post("/chat/completions", body)[0] == 401
        assert server.post("/chat/completions", body, {"Authorization": "Bearer sk-serve"})[0] == 200
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(30) == 0
    finally:
        stop(server.proc)


def test_the_openai_operator_evolves_prompts_through_the_served_enhancer(prefect_harness, model, served,
                                                                           tmp_path, monkeypatch):
    from pav.config import load_config
    from pav.flows.evolve import evolve

    monkeypatch.setenv("PAV_TEST_SERVED_KEY", "unused")
    operator = (f"operator={{name: openai, options: {{base_url: '{served.base_url}', api_key_env: PAV_TEST_SERVED_KEY,"
                f" request: enhance, temperature: 1.0, max_tokens: 40, backoff_s: 0}}}}")
    cfg = load_config("quick", [f"store={tmp_path / 'run'}", "evolve.prompts.limit=2", "evolve.rounds=1",
                                "generator.options={frames: 8, size: 32}", operator], environ={})
    result = evolve(cfg)
    log = result["log"].read()
    proposed = log[log["round"] == 1]
    assert set(log["prompt_id"]) == set(proposed["prompt_id"]) and len(set(log["prompt_id"])) == 2
    assert set(proposed["operator"]) == {"openai"} and proposed["overall"].notna().all()
    assert result["rounds"][1]["calls"] == 2 and result["rounds"][1]["operator_failures"] == 0
