"""A team's reward server over real HTTP on 127.0.0.1: scores arrive, a 503 is retried, a timeout is one video's
recorded failure that the next run asks again, never a cached score."""

from __future__ import annotations

import email.parser
import email.policy
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from pav.data.schemas import DIMENSIONS
from pav.data.store import Store
from pav.data.video import decode_clip
from pav.rewards.http_judge import HttpReward
from pav.models.rendering import render
from pav.rewards.scoring import score_videos

KEY = "test-key-not-a-secret"


class JudgeServer:
    """Answers each video with scores from its pixels (so a test sees the video arrived whole): each of the seven
    from its brightness, or what `answer(frames, prompt)` gives. A prompt with "busy" gets one 503 first; one with
    "slow" waits `slow_s` before answering; one with "partial" gets only tc."""

    def __init__(self, slow_s: float = 2.0, answer=None):
        self.answer = answer or (lambda frames, _: dict.fromkeys(DIMENSIONS, 1 + 3 * float(frames.mean()) / 255))
        self.requests: list[tuple[str, str | None]] = []  # (prompt, Authorization)
        self.busy_seen: set[str] = set()
        self.media: list[str] = []  # the content type of each video (or image) that arrived
        self.slow_s = slow_s
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                parts = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
                fields = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True)
                          for p in parts.iter_parts()}
                prompt = fields["prompt"].decode()
                server.requests.append((prompt, self.headers.get("Authorization")))
                if "busy" in prompt and prompt not in server.busy_seen:
                    server.busy_seen.add(prompt)
                    return self._send(503, b'{"error": "busy"}')
                if "slow" in prompt:
                    time.sleep(server.slow_s)
                if "partial" in prompt:
                    return self._send(200, b'{"tc": 2.0}')
                frames, _ = decode_clip(fields["video"])
                server.media.append(parts.get_payload()[-1].get_content_type())
                self._send(200, json.dumps({"scores": server.answer(frames, prompt), "model": "in-house"}).encode())

            def _send(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/score"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = JudgeServer()
    yield srv
    srv.close()


def test_scores_arrive_a_503_is_retried_and_a_timeout_is_recorded_then_redone(server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", KEY)
    store = Store(str(tmp_path))
    prompts = ["a red car on a street", "a busy market", "a slow river at dusk"]
    videos, _ = render(store, "sim-steady", {"frames": 4, "size": 32}, prompts, [0, 0, 0])
    options = {"http": {"url": server.url, "api_key_env": "JUDGE_KEY", "timeout_s": 0.5, "max_retries": 1,
                        "backoff_s": 0.0}}
    scores, counts = score_videos(store, videos, prompts, "http", options)
    assert counts == {"scored": 3, "reused": 0}
    ok, busy, slow = (scores.iloc[i] for i in range(3))
    assert 1 < ok["vq"] < 4 and pd.isna(ok["error"]) and all(ok[d] == ok["vq"] for d in DIMENSIONS)
    assert 1 < busy["vq"] < 4 and pd.isna(busy["error"])  # a 503, then an answer
    assert [p for p, _ in server.requests].count("a busy market") == 2
    assert math.isnan(slow["vq"]) and "Timeout" in slow["error"] and "2 attempts" in slow["error"]
    assert {auth for _, auth in server.requests} == {f"Bearer {KEY}"}
    # the failure was not cached: the next run asks again for it alone, and now it answers in time
    server.slow_s = 0.0
    server.requests.clear()
    again, counts = score_videos(store, videos, prompts, "http", options)
    assert counts == {"scored": 1, "reused": 2} and [p for p, _ in server.requests] == ["a slow river at dusk"]
    assert 1 < again.iloc[2]["vq"] < 4 and pd.isna(again.iloc[2]["error"])
    assert KEY not in json.dumps(options) and KEY not in again.to_json()  # the key is read, never stored


def test_an_image_goes_to_the_server_as_a_png_and_arrives_whole(server, tmp_path):
    store = Store(str(tmp_path))
    prompts = ["a red fox in a snowy field", "a yellow bus"]
    images, _ = render(store, "sim-tags", {"size": 32}, prompts, [0, 0])
    scores, counts = score_videos(store, images, prompts, "http", {"http": {"url": server.url}})
    assert counts == {"scored": 2, "reused": 0} and scores["error"].isna().all()
    assert server.media == ["image/png"] * 2
    for i, path in enumerate(images["path"]):  # scored from the pixels the model drew (PNG: lossless)
        pixels = decode_clip(store.read_bytes(path))[0]
        assert scores.iloc[i]["vq"] == pytest.approx(1 + 3 * float(pixels.mean()) / 255)


def test_bad_answers_and_settings_are_clear(server, monkeypatch):
    monkeypatch.delenv("JUDGE_KEY", raising=False)
    with pytest.raises(ValueError, match="JUDGE_KEY"):
        HttpReward(server.url, api_key_env="JUDGE_KEY")
    with pytest.raises(ValueError, match="dimensions must be lower-case words"):
        HttpReward(server.url, dimensions=["Sharpness!"])
    with pytest.raises(ValueError, match="must start with http"):
        HttpReward("127.0.0.1:9/score")
    # an answer without a configured dimension, and a closed port: that video's error, not a crash
    video = np.zeros((2, 16, 16, 3), np.uint8)
    (partial,) = HttpReward(server.url, dimensions=["vq"], max_retries=0).score([video], ["a partial answer"])
    assert math.isnan(partial["vq"]) and "names no 'vq'" in partial["error"]
    (closed,) = HttpReward("http://127.0.0.1:9/score", max_retries=0, timeout_s=2).score([video], ["a cat"])
    assert math.isnan(closed["vq"]) and "1 attempts" in closed["error"]
