"""Prompt sets and the release format of pairs."""

import json

import pytest

from pav.data.pairs_io import export_pairs, import_pairs, parse_release
from pav.data.prompts import PromptSet, load_prompt_sets, load_prompts, vbench_rewrites
from pav.data.store import Store


def test_vbench_suite_is_bundled_with_aligned_rewrites():
    prompts = load_prompts(PromptSet())
    assert len(prompts) == 944  # 946 lines, two duplicates dropped
    assert prompts["prompt_id"].is_unique
    rewrites = vbench_rewrites("gpt4-upsampler", prompts["prompt"].tolist()[:3])
    assert rewrites[0].startswith("In a still frame, a weathered stop sign")
    assert len(vbench_rewrites("wan-extender", prompts["prompt"].tolist())) == 944


def test_slicing_is_disjoint_and_stable():
    a = load_prompts(PromptSet(limit=10))
    b = load_prompts(PromptSet(offset=10, limit=10))
    assert not set(a["prompt_id"]) & set(b["prompt_id"])
    assert load_prompts(PromptSet(limit=10))["prompt_id"].tolist() == a["prompt_id"].tolist()


def test_prompt_file_drops_blanks_and_duplicates_with_a_count(tmp_path, caplog):
    f = tmp_path / "night.txt"
    f.write_text("a cat playing piano\n\n   \na dog\na cat playing piano\n")
    prompts = load_prompts(PromptSet(source="file", path=str(f)))
    assert prompts["prompt"].tolist() == ["a cat playing piano", "a dog"]
    assert "dropped 2 blank lines and 1 duplicates" in caplog.text


def test_empty_prompt_sets_are_errors_naming_the_source(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("\n  \n")
    with pytest.raises(ValueError, match="empty.txt .* holds no prompts"):
        load_prompts(PromptSet(source="file", path=str(f)))
    with pytest.raises(ValueError, match="does not exist"):
        load_prompts(PromptSet(source="file", path=str(tmp_path / "nope.txt")))
    with pytest.raises(ValueError, match="holds no prompts"):
        load_prompts(PromptSet(offset=5000))


def test_pairs_release_format_round_trips(tmp_path):
    release = tmp_path / "pairs.json"
    release.write_text(json.dumps([["a cat", "a fluffy cat, static camera"], ["a dog", "a dog running, tracking shot"]]))
    ref = import_pairs(release, str(tmp_path / "run"))
    assert ref.read()["completion"].tolist() == ["a fluffy cat, static camera", "a dog running, tracking shot"]
    out = tmp_path / "out.json"
    assert export_pairs(Store(ref.root).url(ref.path), out) == 2
    assert json.loads(out.read_text()) == json.loads(release.read_text())


@pytest.mark.parametrize("text, message", [
    ("{", "not JSON"), ('{"a": 1}', "expected a JSON list"), ('[["only one"]]', "entry 0"),
    ('[["a", ""]]', "entry 0"), ("[]", "holds no pairs")])
def test_malformed_release_files_are_named(text, message):
    with pytest.raises(ValueError, match=message):
        parse_release(text, "pairs.json")


@pytest.mark.parametrize("profile", ["demo", "quick", "gpu-cogvideox", "gpu-opensora", "gpu-wan", "gpu-ltx",
                                     "gpu-hunyuan15"])
def test_every_profiles_prompt_sets_are_disjoint(profile):
    """Evolution, DPO, the round gate's validation and the evaluation never share a prompt."""
    from pav.config import load_config

    cfg = load_config(profile)
    sets = {"evolve": cfg.evolve.source_sets, "dpo": [cfg.train.dpo_prompts],
            "validation": [cfg.train.round_gate.prompts], "evaluate": [cfg.evaluate.prompts]}
    ids = {name: set(load_prompt_sets(specs)["prompt_id"]) for name, specs in sets.items()}
    names = list(ids)
    for i, a in enumerate(names):
        assert ids[a], a
        for b in names[i + 1:]:
            assert not ids[a] & ids[b], f"{profile}: {a} and {b} share prompts"


def test_prompt_sets_join_in_order_and_keep_a_shared_prompt_once(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("a cat sleeping on a couch\na beagle digging a hole under a hedge\n")  # the second is everyday's
    everyday = load_prompts(PromptSet(source="everyday"))["prompt"].tolist()
    assert "a beagle digging a hole under a hedge" in everyday
    joined = load_prompt_sets([PromptSet(source="file", path=str(mine)), PromptSet(source="everyday")])
    assert joined["prompt"].tolist() == ["a cat sleeping on a couch", *everyday]
    assert joined["prompt_id"].is_unique


def test_the_everyday_training_prompts_load_and_no_evaluation_set_holds_them_or_a_close_variant():
    import re
    from pathlib import Path

    train = load_prompts(PromptSet(source="everyday"))["prompt"].tolist()
    assert len(train) >= 100
    evaluation = [*load_prompts(PromptSet())["prompt"],
                  *Path(__file__).parents[1].joinpath("benchmarks", "everyday_prompts.txt").read_text().splitlines()]

    def words(text):
        return set(re.findall(r"[a-z]+", text.lower())) - {"a", "an", "the", "of", "on", "in", "at", "with", "by",
                                                           "and", "to", "its", "from", "over", "through"}
    for prompt in train:
        close = [e for e in evaluation if len(words(prompt) & words(e)) / len(words(prompt) | words(e)) >= 0.5]
        assert not close, (prompt, close)
