"""Real reward backends at tiny size: VideoScore, LAION aesthetic, MPS and CLIP score from local files."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from transformers import CLIPModel

from pav.data.schemas import VIDEO_DIMENSIONS
from pav.rewards import IMAGE_FRAMES, load_reward, released_frames, unload_rewards
from pav.rewards.mps import MpsModel
from pav.rewards.videoscore import QUERY, VideoScoreModel, query
from tiny_vision import save_tiny_clip, save_tiny_videoscore

PROMPTS = ["a red cat", "a golden sunset over the sea with a slow car", "a dog running in the city"]


def _videos():
    """Three clips of different lengths and sizes, so batching must cope with mixed shapes."""
    rng = np.random.default_rng(0)
    shapes = [(20, 24, 40, 3), (9, 32, 32, 3), (3, 30, 20, 3)]
    return [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]


def _values(scores, dim):
    return np.array([s[dim] for s in scores])


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip")
    save_tiny_clip(path)
    return path


@pytest.fixture(scope="module")
def videoscore_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("videoscore")
    save_tiny_videoscore(path)
    return path


def test_videoscore_query_is_the_released_template():
    text = query('a "red" cat', 16)
    assert 'For this video, the text prompt is "a "red" cat",\nall the frames of video are as follows:\n' in text
    assert "the better the video performs in that sub-score, \nthe lowest 1.0" in text  # trailing space kept
    assert text.startswith("\nSuppose you are an expert") and text.endswith("<image> " * 16)
    assert QUERY.count("{text_prompt}") == 1 and text.count("<image>") == 16


def test_frames_are_read_where_the_released_reward_code_reads_them():
    video = np.arange(49)[:, None, None, None] * np.ones((1, 2, 2, 3), dtype=np.uint8)
    picked = lambda frames: frames[:, 0, 0, 0].tolist()  # noqa: E731
    # rewards/video_score_dpo.py and mps_dpo.py: np.arange(0, T, T / n).astype(int), the last frame never read
    assert picked(released_frames(video, 16, all_when_short=True)) == np.arange(0, 49, 49 / 16).astype(int).tolist()
    assert picked(released_frames(video, 4)) == [0, 12, 24, 36]
    assert picked(released_frames(video[:9], 16, all_when_short=True)) == list(range(9))  # VideoScore: all of them
    assert picked(released_frames(video[:2], 4)) == [0, 0, 1, 1]
    assert all(len(released_frames(video[:t], 16)) == 16 for t in range(16, 49))  # float steps never give 17


def test_videoscore_scores(videoscore_dir, tmp_path):
    videos = _videos()
    batched = load_reward("videoscore", dict(model=str(videoscore_dir), torch_dtype="fp32", device="cpu",
                                             batch_size=3))
    assert batched.dimensions == VIDEO_DIMENSIONS
    scores = batched.score(videos, PROMPTS)
    assert [sorted(s) for s in scores] == [sorted(VIDEO_DIMENSIONS)] * 3
    matrix = np.array([[s[d] for d in VIDEO_DIMENSIONS] for s in scores])
    assert np.isfinite(matrix).all() and np.ptp(matrix, axis=1).min() > 0  # five different head outputs

    single = load_reward("videoscore", dict(model=str(videoscore_dir), torch_dtype="fp32", device="cpu"))
    assert np.allclose(matrix, [[s[d] for d in VIDEO_DIMENSIONS] for s in single.score(videos, PROMPTS)], atol=1e-5)
    # The original prompt and the pixels both reach the model.
    assert single.score(videos[:1], ["a blue car"])[0] != scores[0]
    assert single.score([255 - videos[0]], PROMPTS[:1])[0] != scores[0]

    # The released checkpoint's naming (Mantis Idefics2ForSequenceClassification): model.* + score.{weight,bias}.
    keys = single.model.state_dict().keys()
    assert {k.split(".")[0] for k in keys} == {"model", "score"}
    assert {"score.weight", "score.bias"} <= set(keys)
    assert {".".join(k.split(".")[:2]) for k in keys if k.startswith("model.")} == {
        "model.vision_model", "model.connector", "model.text_model"}
    assert single.model.state_dict()["score.weight"].shape == (5, 32)

    resaved = tmp_path / "resaved"
    VideoScoreModel.from_pretrained(videoscore_dir).save_pretrained(resaved)
    single.processor.save_pretrained(resaved)
    reloaded = load_reward("videoscore", dict(model=str(resaved), torch_dtype="fp32", device="cpu"))
    assert reloaded.score(videos, PROMPTS) == single.score(videos, PROMPTS)


def test_laion_aesthetic(clip_dir, tmp_path):
    torch.manual_seed(1)
    head = torch.nn.Linear(16, 1)
    assert set(head.state_dict()) == {"weight", "bias"}  # the keys of sa_0_4_vit_l_14_linear.pth
    torch.save(head.state_dict(), tmp_path / "head.pth")
    save_file(head.state_dict(), tmp_path / "head.safetensors")
    videos = _videos()
    reward = load_reward("laion-aesthetic", dict(head=str(tmp_path / "head.pth"), clip_model=str(clip_dir),
                                                 device="cpu", batch_size=2))
    scores = _values(reward.score(videos, PROMPTS), "aesthetic")

    # Reference: linear head on the L2-normalised CLIP image embedding, averaged over the released code's 4 frames.
    clip = CLIPModel.from_pretrained(clip_dir)
    frames = released_frames(videos[1], IMAGE_FRAMES)
    pixels = reward.processor(images=list(frames), return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        embeds = clip.get_image_features(pixel_values=pixels).pooler_output
        expected = head(embeds / embeds.norm(dim=-1, keepdim=True)).mean()
    assert scores[1] == pytest.approx(float(expected), abs=1e-5)

    from_safetensors = load_reward("laion-aesthetic", dict(head=str(tmp_path / "head.safetensors"),
                                                           clip_model=str(clip_dir), device="cpu", batch_size=1))
    assert np.allclose(_values(from_safetensors.score(videos, PROMPTS), "aesthetic"), scores, atol=1e-6)
    assert len(set(np.round(scores, 6))) == 3


def test_weight_files_fail_clearly(clip_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"laion-aesthetic head: weights file '.*missing.pth' not found "
                                                r"\(get it from https://github.com/LAION-AI/aesthetic-predictor"):
        load_reward("laion-aesthetic", dict(head=str(tmp_path / "missing.pth"), clip_model=str(clip_dir),
                                            device="cpu"))
    # The improved predictor's MLP head is a different architecture: refused with the key names.
    mlp = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.Linear(8, 1))
    torch.save({f"layers.{k}": v for k, v in mlp.state_dict().items()}, tmp_path / "mlp.pth")
    with pytest.raises(ValueError, match=r"does not match Linear: missing \['weight', 'bias'\], unexpected"):
        load_reward("laion-aesthetic", dict(head=str(tmp_path / "mlp.pth"), clip_model=str(clip_dir), device="cpu"))
    torch.save(torch.nn.Linear(16, 1), tmp_path / "pickled.pth")  # a whole pickled module, like the MPS release
    with pytest.raises(ValueError, match="is not a plain state_dict"):
        load_reward("laion-aesthetic", dict(head=str(tmp_path / "pickled.pth"), clip_model=str(clip_dir),
                                            device="cpu"))
    with pytest.raises(FileNotFoundError, match="mps checkpoint: weights file .*not found.*github.com/Kwai-Kolors/MPS"):
        load_reward("mps", dict(checkpoint=str(tmp_path / "MPS_overall.safetensors"), clip_model=str(clip_dir),
                                device="cpu"))


# Key names of the released MPS_overall_checkpoint.pth for one fusion layer (Kwai-Kolors/MPS cross_modeling.py).
RELEASED_MPS_LAYER_KEYS = {
    "cross_model.layers.0.0.fn.norm.weight", "cross_model.layers.0.0.fn.norm.bias",
    "cross_model.layers.0.0.fn.to_q.weight", "cross_model.layers.0.0.fn.to_kv.weight",
    "cross_model.layers.0.0.fn.to_out.weight", "cross_model.layers.0.0.fn.ff.0.weight",
    "cross_model.layers.0.0.fn.ff.2.weight",
    "cross_model.layers.0.1.fn.norm.weight", "cross_model.layers.0.1.fn.norm.bias",
    "cross_model.layers.0.1.fn.rotary_emb.inv_freq", "cross_model.layers.0.1.fn.fused_attn_ff_proj.weight",
    "cross_model.layers.0.1.fn.attn_out.weight", "cross_model.layers.0.1.fn.ff_out.1.weight",
}


def test_mps(clip_dir, tmp_path):
    clip = CLIPModel.from_pretrained(clip_dir)
    torch.manual_seed(2)
    model = MpsModel(clip.config)
    model.model.load_state_dict(clip.state_dict())
    state = model.state_dict()
    assert {k for k in state if k.startswith("cross_model.layers.0.")} == RELEASED_MPS_LAYER_KEYS
    assert {k.split(".")[0] for k in state} == {"model", "cross_model"} and "model.logit_scale" in state
    assert {k.split(".")[2] for k in state if k.startswith("cross_model.")} == {"0", "1", "2", "3"}
    save_file(state, tmp_path / "mps.safetensors")
    # transformers 4.27 (the release) also stored the CLIP position ids: accepted and ignored.
    old = dict(state, **{"model.text_model.embeddings.position_ids": torch.arange(16)[None]})
    torch.save(old, tmp_path / "mps_old.pth")

    videos = _videos()
    options = dict(clip_model=str(clip_dir), torch_dtype="fp32", device="cpu")
    batched = load_reward("mps", dict(checkpoint=str(tmp_path / "mps.safetensors"), batch_size=3, **options))
    scores = _values(batched.score(videos, PROMPTS), "preference")
    assert np.isfinite(scores).all() and len(set(np.round(scores, 5))) == 3
    single = load_reward("mps", dict(checkpoint=str(tmp_path / "mps_old.pth"), batch_size=1, **options))
    assert np.allclose(_values(single.score(videos, PROMPTS), "preference"), scores, atol=1e-4)
    assert single.score(videos[:1], ["a blue car"])[0]["preference"] != pytest.approx(scores[0], abs=1e-4)

    # The score is the scaled cosine of the fused image CLS token and the prompt's end-of-text feature.
    frames = released_frames(videos[0], IMAGE_FRAMES)
    pixels = batched.processor(images=list(frames), return_tensors="pt")["pixel_values"]
    ids = batched._tokenize([PROMPTS[0]] * IMAGE_FRAMES)
    with torch.no_grad():
        per_frame = model(pixels, ids, batched.condition.expand(IMAGE_FRAMES, -1))
    assert scores[0] == pytest.approx(float(per_frame.mean()), abs=1e-4)
    assert per_frame.abs().max() <= model.model.logit_scale.exp() + 1e-4


def test_every_judge_asks_for_the_pil_image_processors(clip_dir, videoscore_dir, tmp_path, monkeypatch):
    # Left to itself transformers takes the torchvision processors where torchvision is installed (a GPU worker)
    # and the PIL ones elsewhere: the same video would score differently under one cache key.
    from transformers.models.auto import image_processing_auto

    asked = []
    resolve = image_processing_auto._resolve_backend
    monkeypatch.setattr(image_processing_auto, "_resolve_backend",
                        lambda backend, use_fast, name: asked.append(backend) or resolve(backend, use_fast, name))
    torch.save(torch.nn.Linear(16, 1).state_dict(), tmp_path / "head.pth")
    unload_rewards()  # built afresh here, not taken from this process's cache
    loaded = [load_reward("videoscore", dict(model=str(videoscore_dir), device="cpu", torch_dtype="fp32")),
              load_reward("laion-aesthetic", dict(head=str(tmp_path / "head.pth"), clip_model=str(clip_dir),
                                                  device="cpu"))]
    assert asked and set(asked) == {"pil"}, asked
    assert all(type(getattr(r.processor, "image_processor", r.processor)).__name__.endswith("Pil") for r in loaded)


def test_videoscore_reads_as_many_frames_as_its_version_was_trained_on(videoscore_dir, monkeypatch):
    # The paper's VideoScore reads 16 frames, VideoScore-v1.1 48: a judge fed the wrong count scores off its training.
    video = np.random.default_rng(0).integers(0, 255, (60, 16, 16, 3), dtype=np.uint8)
    counts = {}
    for frames in (16, 48):
        reward = load_reward("videoscore", dict(model=str(videoscore_dir), device="cpu", torch_dtype="fp32",
                                                frames=frames))
        call = reward.processor.__class__.__call__
        monkeypatch.setattr(reward.processor.__class__, "__call__", lambda self, text, images, **kw: (
            counts.__setitem__(frames, len(images[0])), call(self, text=text, images=images, **kw))[1])
        reward.score([video], ["a cat"])
        monkeypatch.undo()
    assert counts == {16: 16, 48: 48}
    with pytest.raises(ValueError, match="frames must be >= 1"):
        load_reward("videoscore", dict(model=str(videoscore_dir), device="cpu", frames=0))


def test_pickscore_is_the_scaled_cosine_of_the_released_inference(clip_dir):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (1, 40, 40, 3), dtype=np.uint8)
    videos = [image, *_videos()[:2]]
    reward = load_reward("pickscore", dict(model=str(clip_dir), processor=str(clip_dir), device="cpu", batch_size=2))
    scores = _values(reward.score(videos, PROMPTS), "pickscore")
    assert np.isfinite(scores).all() and len(set(np.round(scores, 5))) == 3

    # Reference: the released code on one image: normalised embeddings, logit_scale.exp() x their dot product.
    clip = CLIPModel.from_pretrained(clip_dir)
    pixels = reward.processor(images=[image[0]], return_tensors="pt")["pixel_values"]
    tokens = reward.tokenizer([PROMPTS[0]], padding=True, truncation=True, max_length=77, return_tensors="pt")
    with torch.no_grad():
        img = clip.get_image_features(pixel_values=pixels).pooler_output
        txt = clip.get_text_features(**tokens).pooler_output
        img, txt = img / img.norm(dim=-1, keepdim=True), txt / txt.norm(dim=-1, keepdim=True)
        expected = clip.logit_scale.exp() * (img @ txt.T)[0, 0]
    assert scores[0] == pytest.approx(float(expected), abs=1e-4)
    # A video's score is its 4 released frames' mean, whatever the batch.
    alone = reward.score(videos[1:2], PROMPTS[1:2])[0]["pickscore"]
    assert alone == pytest.approx(scores[1], abs=1e-4)
    assert abs(scores[1]) <= float(clip.logit_scale.detach().exp()) + 1e-4
    unload_rewards()


def released_open_clip():
    """The open_clip package bundled with HPSv2's release (`pip install --no-deps hpsv2`, as `make install` does),
    imported from its folder without running its __init__: that imports torchvision, which does not load against
    the CPU torch build here, for transforms these tests do not use (the one symbol its model code imports from
    torchvision, a frozen batch norm for ResNet towers, is stood in for)."""
    import importlib
    import importlib.util
    import sys
    import types
    from pathlib import Path

    import transformers  # noqa: F401  (imported before the stand-in, which it would otherwise probe)

    found = importlib.util.find_spec("hpsv2")
    if found is None:
        pytest.fail("hpsv2 is not installed: `make install` installs it (--no-deps) for this test")
    if "oc_released" not in sys.modules:
        package = types.ModuleType("oc_released")
        package.__path__ = [str(Path(found.submodule_search_locations[0]) / "src" / "open_clip")]
        misc = types.ModuleType("torchvision.ops.misc")
        misc.FrozenBatchNorm2d = type("FrozenBatchNorm2d", (torch.nn.Module,), {})
        stand_in = {"torchvision": types.ModuleType("torchvision"), "torchvision.ops": types.ModuleType("torchvision.ops"),
                    "torchvision.ops.misc": misc}
        before = {name: sys.modules.get(name) for name in stand_in}
        sys.modules.update({"oc_released": package, **stand_in})
        try:
            importlib.import_module("oc_released.model")
        finally:
            for name, module in before.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
    return sys.modules["oc_released.model"]


def test_hpsv2_reads_the_released_open_clip_checkpoint_and_scores_its_cosine(clip_dir, tmp_path):
    from transformers import CLIPConfig

    from pav.rewards.hpsv2 import open_clip_to_transformers

    # A tiny open_clip ViT CLIP of the release's code, shaped like the tiny transformers CLIP (GELU, as ViT-H/14).
    torch.manual_seed(4)
    released = released_open_clip().CLIP(
        embed_dim=16, vision_cfg=dict(image_size=32, layers=2, width=32, head_width=8, patch_size=8),
        text_cfg=dict(context_length=16, vocab_size=CLIPConfig.from_pretrained(clip_dir).text_config.vocab_size,
                      width=32, heads=4, layers=2)).eval()
    with torch.no_grad():
        for p in released.parameters():  # away from the init's zeros and ones, so every weight matters
            p.add_(0.02 * torch.randn_like(p))
    torch.save({"state_dict": released.state_dict()}, tmp_path / "HPS_v2.1_compressed.pt")  # as released
    tiny = CLIPConfig.from_pretrained(clip_dir)  # the same CLIP, with open_clip ViT-H/14's GELU, MLP ratio and eps
    for tower in (tiny.text_config, tiny.vision_config):
        tower.hidden_act, tower.intermediate_size, tower.layer_norm_eps = "gelu", 4 * tower.hidden_size, 1e-5
    arch = tmp_path / "hps-clip"
    tiny.save_pretrained(arch)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"):
        if (clip_dir / name).is_file():
            (arch / name).write_bytes((clip_dir / name).read_bytes())

    reward = load_reward("hpsv2", dict(checkpoint=str(tmp_path / "HPS_v2.1_compressed.pt"),
                                       clip_model=str(arch), device="cpu", batch_size=2))
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (1, 40, 40, 3), dtype=np.uint8)
    videos = [image, *_videos()[:2]]
    scores = _values(reward.score(videos, PROMPTS), "hps")
    assert np.isfinite(scores).all() and np.all(np.abs(scores) <= 1 + 1e-5) and len(set(np.round(scores, 5))) == 3

    # The release (img_score.py): open_clip's normalised image and text features and their dot product; both pool
    # the text at its highest token id (CLIP's end-of-text token in the real vocabulary).
    pixels = reward.processor(images=[image[0]], return_tensors="pt")["pixel_values"]
    ids = reward.tokenizer(PROMPTS[:1], padding="max_length", truncation=True, max_length=16,
                           return_tensors="pt").input_ids
    with torch.no_grad():
        img = released.encode_image(pixels, normalize=True)
        txt = released.encode_text(ids, normalize=True)
    assert scores[0] == pytest.approx(float((img @ txt.T)[0, 0]), abs=1e-4)
    assert float(reward.model.logit_scale.detach()) == pytest.approx(float(released.logit_scale.detach()), abs=1e-6)
    assert open_clip_to_transformers({"state_dict": {"attn_mask": torch.zeros(2)}}) == {}
    unload_rewards()
