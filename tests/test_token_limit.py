"""Nothing the project writes for a video model is longer than its text encoder reads: evolution variants over it
are left out, a DPO sample over it is never chosen, a served rewrite over it is shortened (finish_reason "length"),
and the evaluation counts the rewrites a model would cut."""

import pandas as pd
import pytest

from pav.models.generators import text_limit
from pav.models.text_limit import TextLimit, read_tokens
from pav.models.operators.lexical import LexicalOperator
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.selection import DPOFilter, dpo_triplets
from pav.tasks.evaluate import too_long
from pav.tasks.mutate import propose
from test_selection import ORIGINAL, samples
from tiny_vision import save_tiny_ltx


def test_a_limit_counts_words_and_punctuation_or_the_models_own_tokens(tmp_path):
    words = TextLimit(6)
    assert words.counts(["a cat, in a park"]) == [6] and words.fits(["a cat, in a park", "a cat, in a park."]) == [
        True, False]
    assert read_tokens("a cat, in a sunlit park at dusk", 5) == "a cat, in a"
    assert TextLimit(8).shortened("a black cat, soft fur, warm lamplight, macro shot", keep="a black cat") == \
        "a black cat, soft fur"
    assert TextLimit(2).shortened("a black cat, soft fur", keep="a black cat") is None  # even the original is over
    assert TextLimit(6).shortened("a cat; a dog, soft fur", keep="a cat; a dog") == "a cat; a dog"  # its own text
    assert (text_limit("sim-steady").max_tokens, text_limit("sim-scenic").max_tokens) == (300, 226)
    assert text_limit("sim-steady", {}, 40) == TextLimit(40)  # the config's token_limit replaces the declared one
    save_tiny_ltx(tmp_path / "ltx")
    ltx = text_limit("diffusers", {"model": str(tmp_path / "ltx")})
    assert ltx.max_tokens == 128 and ltx.tokenizer.endswith("::tokenizer")  # LTX's T5 reads 128 of its own tokens
    assert ltx.counts(["a cat"])[0] >= 2


def test_evolution_leaves_out_variants_the_video_model_would_cut():
    log = pd.DataFrame([{"prompt_id": "p", "original": ORIGINAL, "prompt": ORIGINAL, "round": 0, "overall": 10.0,
                         "passes": True, "intent": 1.0, "keeps_intent": True,
                         **{d: 2.5 for d in ("vq", "tc", "dd", "tva", "fc")}, "aesthetic": 4.0, "preference": 10.0}])
    limit = TextLimit(len(ORIGINAL.split()) + 4)
    free, _ = propose(LexicalOperator(), log, top_n=3, n=12, round_=1, seed=0)
    capped, stats = propose(LexicalOperator(), log, top_n=3, n=12, round_=1, seed=0, limit=limit)
    assert not all(limit.fits(free["prompt"].tolist()))  # unbounded, the operator writes longer variants
    assert len(capped) and all(limit.fits(capped["prompt"].tolist()))
    assert stats["over_token_limit"] == len(free) - len(capped) > 0


def test_a_dpo_sample_over_the_limit_is_never_chosen():
    frame = samples([(f"{ORIGINAL}, golden hour, slow pan, soft fur, wet asphalt, neon glow", 3.8, 1.0),
                     (f"{ORIGINAL}, golden hour", 3.2, 1.0),
                     (f"{ORIGINAL}, blurry", 2.5, 1.0)])
    frame["fits"] = TextLimit(len(ORIGINAL.split()) + 5).fits(frame["prompt"].tolist())
    [row] = dpo_triplets(frame, AggregationConfig(), DPOFilter(length_gap=None), round_=1).itertuples()
    assert row.chosen == f"{ORIGINAL}, golden hour"  # the best-scoring sample would be cut by the video model


def test_the_evaluation_counts_the_rewrites_a_model_would_cut():
    evals = pd.DataFrame({"method": ["original", "original", "gpt4", "gpt4"], "prompt_id": ["a", "b", "a", "b"],
                          "prompt": ["a cat", "a dog", "a cat " + "very " * 20, "a dog, soft fur"]})
    table = too_long(evals, TextLimit(10)).set_index("method")
    assert table.loc["original", "over"] == 0 and table.loc["gpt4", "over"] == 1
    assert table.loc["gpt4", "longest"] == 22 and (table["limit"] == 10).all()


@pytest.mark.parametrize("limit", [3])
def test_served_rewrites_fit_the_video_models_limit(limit, tmp_path):
    from test_serve import PROMPTS, Served, stop
    from tiny_models import trained_tiny_enhancer

    tokens = max(TextLimit(1).counts(PROMPTS)) + limit
    server = Served(trained_tiny_enhancer(), "--token-limit", str(tokens))
    try:
        status, body = server.post("/enhance", {"prompts": PROMPTS})
        assert status == 200
        rewrites = [r["rewrite"] for r in body["rewrites"]]
        assert all(TextLimit(tokens).fits(rewrites)), rewrites
        assert any(r["shortened"] for r in body["rewrites"])  # the enhancer wrote longer: it was made to fit
        status, chat = server.post("/chat/completions", {"messages": [{"role": "user", "content": PROMPTS[0]}]})
        assert status == 200 and chat["choices"][0]["finish_reason"] in ("stop", "length")
        assert TextLimit(tokens).fits([chat["choices"][0]["message"]["content"]])[0]
    finally:
        stop(server.proc)
