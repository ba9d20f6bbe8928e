"""The pav command: configuration, rendering and scoring one video, pairs in the release format."""


import pytest
from typer.testing import CliRunner

from pav.cli import app
from pav.config import PROFILES, RunConfig, load_config

runner = CliRunner()


def test_every_profile_resolves_and_overrides_apply_in_order():
    assert {"quick", "demo", "gpu-cogvideox", "gpu-opensora", "gpu-wan", "gpu-ltx", "gpu-hunyuan15"} <= set(PROFILES)
    for name in PROFILES:
        assert load_config(name).profile.split(" ")[0] == name  # 'gpu-cogvideox (preset ours)'
    cfg = load_config("quick", ["evolve.rounds=1"], environ={"PAV_EVOLVE__ROUNDS": "7", "PAV_STORE": "/tmp/x"})
    assert cfg.evolve.rounds == 1 and cfg.store == "/tmp/x"
    assert load_config("quick", environ={"PAV_EVOLVE__ROUNDS": "7"}).evolve.rounds == 7
    # only variables in the config's shape are overrides: a serving key is left alone, a misspelt field is an error
    assert load_config("quick", environ={"PAV_SERVE_KEY": "sk-x", "PAV_WORKER_NAME": "w"}) == load_config("quick")
    with pytest.raises(ValueError, match="roundz"):
        load_config("quick", environ={"PAV_EVOLVE__ROUNDZ": "3"})
    gpu, defaults = load_config("gpu-cogvideox"), RunConfig()
    assert (gpu.generator.name, gpu.rewards.suite, gpu.evolve.shard_size) == ("diffusers", "gpu", 32)
    assert (defaults.generator.name, defaults.rewards.suite, defaults.evolve.shard_size) != ("diffusers", "gpu", 32)


def test_a_server_that_cannot_be_reached_is_one_line_and_exit_1(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "pav.cli", "retry", "00000000-0000-0000-0000-000000000000"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"Error: cannot reach http://127.0.0.1:{port}/api" in done.stderr


@pytest.mark.parametrize("profile, pipeline", [("gpu-wan", "WanPipeline"), ("gpu-ltx", "LTXPipeline"),
                                               ("gpu-hunyuan15", "HunyuanVideo15Pipeline")])
def test_a_2026_video_model_profile_keeps_the_papers_set_up_around_its_own_generator(profile, pipeline):
    from pav.models.generators.diffusers_video import check_shape

    cfg, paper = load_config(profile), load_config("gpu-cogvideox")
    options = cfg.generator.options
    check_shape(pipeline, options["num_frames"], options["height"], options["width"])  # rendered as asked
    assert "call_kwargs" not in options  # a generator's options come whole: nothing of CogVideoX's carried over
    assert (cfg.rewards, cfg.train.sft, cfg.train.dpo, cfg.evaluate.prompts) == (
        paper.rewards, paper.train.sft, paper.train.dpo, paper.evaluate.prompts)
    assert cfg.store == f"runs/{profile}" and profile in cfg.operator.options["cache_dir"]


@pytest.mark.parametrize("profile", ["gpu-cogvideox", "gpu-opensora", "gpu-wan"])
def test_gpu_profiles_put_the_enhancer_on_the_gpu_in_bf16(profile):
    shown = runner.invoke(app, ["config", "--profile", profile])
    assert shown.exit_code == 0, shown.output
    cfg, defaults = load_config(profile), RunConfig()
    assert (cfg.train.sampling.device, cfg.train.sampling.dtype, cfg.train.sampling.no_repeat_ngram) == (
        "cuda", "bf16", 0)
    assert (cfg.train.sft.dtype, cfg.train.dpo.dtype) == ("bf16", "bf16") and cfg.train.dpo.gradient_checkpointing
    assert (defaults.train.sampling.device, defaults.train.sampling.dtype, defaults.train.sft.dtype) == (
        "cpu", "fp32", "fp32")  # the embedded default stays on the CPU in fp32
    sampling = shown.output[shown.output.index("sampling"):]
    assert "device: cuda" in sampling and "dtype: bf16" in sampling


def test_the_paper_preset_is_the_released_training_code_and_ours_the_default():
    shown = runner.invoke(app, ["config", "--profile", "gpu-cogvideox", "--set", "preset=paper"])
    assert shown.exit_code == 0, shown.output
    assert "profile: gpu-cogvideox (preset paper)" in shown.output
    paper, ours = load_config("gpu-cogvideox", ["preset=paper"]), load_config("gpu-cogvideox")
    train = paper.train  # booster/finetuning/finetune.sh, booster/dpo/dpo.py, filter.py and inference.py
    assert (train.sft.epochs, train.sft.learning_rate, train.sft.batch_size * train.sft.grad_accum) == (12, 1e-4, 8)
    assert (train.dpo.learning_rate, train.dpo.epochs, train.dpo.batch_size, train.dpo.grad_accum,
            train.dpo.max_length, train.dpo.warmup_ratio, train.dpo.beta) == (5e-5, 3, 4, 8, 1024, 0.1, 0.1)
    assert (train.dpo.lora.r, train.dpo.lora.alpha, train.dpo.lora.dropout) == (16, 16, 0.0)
    assert (train.dpo_filter.rule, train.dpo_filter.margin, train.dpo_filter.chosen_max_words) == ("released", 1.4, 130)
    assert (train.dpo.sft_weight, train.dpo_filter.length_gap, ours.train.dpo.sft_weight) == (0.0, None, 0.0)  # plain DPO
    assert (train.sampling.temperature, train.sampling.top_k, train.sampling.top_p) == (1.0, 50, 1.0)
    assert not train.sampling.greedy_candidate and ours.train.sampling.greedy_candidate  # the release samples all 5
    assert not train.dpo_filter.greedy_rejected and ours.train.dpo_filter.greedy_rejected
    assert not train.round_gate.enabled and ours.train.round_gate.enabled  # the paper keeps every DPO round
    raw = {"vq": 1, "tc": 1, "fc": 1, "dd": 1.1, "tva": 1.3, "aesthetic": 0.8 * 1.6, "preference": 4 / 3}
    assert train.dpo_aggregation.weights == pytest.approx(raw, abs=1e-6)
    assert train.dpo_aggregation.thresholds == ours.train.dpo_aggregation.thresholds  # the profile's, kept
    # What the preset does not set stays the profile's: the GPU, bf16, the prompt sets.
    assert (train.sampling.device, train.sft.dtype, train.dpo_prompts) == ("cuda", "bf16", ours.train.dpo_prompts)
    assert ours.profile == "gpu-cogvideox (preset ours)"
    assert (ours.train.dpo.learning_rate, ours.train.dpo_filter.rule, ours.train.sft.epochs) == (5e-6, "best-worst", 3)
    # An override still wins over the preset.
    assert load_config("gpu-cogvideox", ["preset=paper", "train.dpo.epochs=1"]).train.dpo.epochs == 1
    with pytest.raises(ValueError, match="unknown preset 'fast'; valid: ours, paper"):
        load_config("gpu-cogvideox", ["preset=fast"])


@pytest.mark.parametrize("override, message", [
    (["evolve.roundz=2"], "roundz"), (["generator.name=sora"], "generator.name"), (["evolve.rounds=-1"], "rounds"),
    (["evolve"], "KEY.PATH=VALUE")])
def test_bad_configuration_is_a_clear_error(override, message):
    with pytest.raises(ValueError, match=message):
        load_config("quick", override, environ={})
    with pytest.raises(ValueError, match="unknown profile 'nope'; valid: "):
        load_config("nope")


def test_ui_form_offers_dropdowns_for_backends():
    from pav.models.generators import GENERATORS
    from pav.models.operators import OPERATORS
    from pav.rewards import SUITES

    defs = RunConfig.model_json_schema()["$defs"]
    assert defs["GeneratorConfig"]["properties"]["name"]["enum"] == sorted(GENERATORS)
    assert defs["OperatorConfig"]["properties"]["name"]["enum"] == sorted(OPERATORS)
    assert defs["RewardConfig"]["properties"]["suite"]["enum"] == sorted(SUITES)


def test_generate_writes_an_mp4_and_a_preview_then_score_reads_it(tmp_path):
    result = runner.invoke(app, ["generate", "a red car turning left on a wet street", "--video-model", "sim-steady",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    mp4 = next(tmp_path.glob("videos/*.mp4"))
    assert next(tmp_path.glob("*.png")).read_bytes()[:4] == b"\x89PNG"
    scored = runner.invoke(app, ["score", str(mp4), "--prompt", "a red car turning left on a wet street"])
    assert scored.exit_code == 0, scored.output
    for label in ("visual quality", "temporal consistency", "dynamic degree", "text-video alignment",
                  "factual consistency", "aesthetic", "preference", "overall"):
        assert label in scored.output


def test_score_reads_the_profiles_suite_and_names_a_missing_server(tmp_path):
    result = runner.invoke(app, ["generate", "a red car", "--video-model", "sim-steady", "--out", str(tmp_path)])
    mp4 = next(tmp_path.glob("videos/*.mp4"))
    scored = runner.invoke(app, ["score", str(mp4), "--prompt", "a red car", "--profile", "quick",
                                 "--set", "rewards.aggregation.thresholds.dd=1.0"])
    assert scored.exit_code == 0 and "dynamic degree" in scored.output and "1.00" in scored.output, scored.output
    missing = runner.invoke(app, ["score", str(mp4), "--prompt", "a red car", "--suite", "http"])
    assert missing.exit_code != 0 and "no server url" in missing.output and "Traceback" not in missing.output


def test_bad_input_to_the_cli_names_the_problem(tmp_path):
    assert "the prompt is empty" in runner.invoke(app, ["generate", "  ", "--out", str(tmp_path)]).output
    assert "unknown generator 'sora'" in runner.invoke(app, ["generate", "a cat", "--video-model", "sora"]).output
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    result = runner.invoke(app, ["score", str(broken), "--prompt", "a cat"])
    assert result.exit_code != 0 and "broken.mp4" in result.output


def test_help_is_the_map_of_the_project():
    import typer

    commands = set(typer.main.get_command(app).commands)
    assert commands == {"pipeline", "evolve", "train", "evaluate", "report", "enhance", "generate", "score", "pairs",
                        "server", "serve", "config", "deploy", "worker", "retry"}, commands
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and all(f" {command} " in result.output for command in commands)


def test_enhance_reads_arguments_files_and_stdin_and_rejects_empty_prompts(tmp_path):
    from pav.models.enhancer import Enhancer
    from tiny_models import enhancer_pairs, trained_tiny_enhancer

    model = trained_tiny_enhancer()
    prompts = enhancer_pairs()["prompt"].tolist()[:2]
    expected = Enhancer.from_pretrained(model / "merged").enhance(prompts, temperature=0, max_new_tokens=40)
    by_args = runner.invoke(app, ["enhance", *prompts, "--model", str(model), "--max-new-tokens", "40"])
    assert by_args.exit_code == 0, by_args.output
    assert by_args.output.splitlines() == expected
    listing = tmp_path / "prompts.txt"
    listing.write_text("\n".join([prompts[0], "", prompts[1]]) + "\n")
    by_file = runner.invoke(app, ["enhance", "--file", str(listing), "--model", str(model), "--max-new-tokens", "40"])
    assert by_file.output.splitlines() == expected
    by_stdin = runner.invoke(app, ["enhance", "--model", str(model), "--max-new-tokens", "40"],
                             input="\n".join(prompts) + "\n")
    assert by_stdin.output.splitlines() == expected
    empty = runner.invoke(app, ["enhance", "   ", "--model", str(model)])
    assert empty.exit_code != 0 and "empty" in empty.output.lower()
    refused = runner.invoke(app, ["enhance", "a cat", "--model", str(tmp_path)]).output
    assert "not a model directory" in " ".join(refused.replace("│", " ").split())  # however the box wraps it


def test_a_users_prompt_file_is_not_sampled_like_the_bundled_suite(tmp_path, caplog):
    from pav.data.prompts import load_prompts

    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(f"a prompt of mine number {i}" for i in range(7)) + "\n")
    quick = load_config("quick", environ={})
    assert quick.evolve.prompts.stride == 16  # the profile samples the 946-prompt suite
    for override in ([f"evolve.prompts={{source: file, path: {mine}}}"],
                     ["evolve.prompts.source=file", f"evolve.prompts.path={mine}"]):
        spec = load_config("quick", override, environ={}).evolve.prompts
        assert (spec.stride, spec.limit, spec.offset) == (1, None, 0)
        with caplog.at_level("INFO", logger="pav.data.prompts"):
            assert len(load_prompts(spec)) == 7
        assert "kept 7 of 7 prompts" in caplog.text
    spec = load_config("quick", [f"evolve.prompts={{source: file, path: {mine}, stride: 2}}"], environ={}).evolve.prompts
    assert len(load_prompts(spec)) == 4  # sampling the user sets still applies


def test_a_users_own_prefect_configuration_is_kept(tmp_path):
    from pav.environment import user_configured_prefect

    assert not user_configured_prefect({}, home=tmp_path)
    assert user_configured_prefect({"PREFECT_API_URL": "http://127.0.0.1:4200/api"}, home=tmp_path)
    assert user_configured_prefect({"PREFECT_PROFILE": "team"}, home=tmp_path)
    (tmp_path / ".prefect").mkdir()
    (tmp_path / ".prefect" / "profiles.toml").write_text('active = "team"\n')
    assert user_configured_prefect({}, home=tmp_path)


@pytest.mark.parametrize("content, message", [("not json at all", "not JSON"),
                                               ('{"a": 1}', "expected a JSON list"),
                                               ('[["a cat", ""]]', "entry 0 is not [original, target]")])
def test_bad_pairs_file_is_one_message_without_traceback(tmp_path, content, message):
    source = tmp_path / "pairs.json"
    source.write_text(content)
    result = runner.invoke(app, ["pairs", "import", str(source), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_empty_prompt_set_is_one_message_before_any_flow_runs(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["evolve", "--profile", "quick", "--store", str(tmp_path / "run"),
                                 "--set", f"evolve.prompts={{source: file, path: {empty}}}"])
    assert result.exit_code == 1 and "holds no prompts" in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1
    assert not (tmp_path / "run" / "evolve").exists()


def test_evolve_prompts_file_evolves_exactly_that_files_prompts(tmp_path):
    import os
    import subprocess
    import sys

    import pandas as pd

    mine = tmp_path / "mine.txt"
    mine.write_text("a red car driving down a street\n\na cat sleeping on a couch\n")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run([sys.executable, "-m", "pav.cli", "evolve", "--profile", "quick", "--store",
                           str(tmp_path / "run"), "--prompts", str(mine), "--set", "evolve.rounds=1",
                           "--set", "evolve.extra_prompts=[{source: everyday, limit: 2}]"],  # --prompts leaves these out
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    [log] = (tmp_path / "run" / "evolve" / "evolution").glob("log-*.parquet")
    originals = pd.read_parquet(log).query("round == 0")["original"].tolist()
    assert originals == ["a red car driving down a street", "a cat sleeping on a couch"]
