"""Tiny, randomly initialised real models saved like their hub releases, with tokenizers built locally."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordLevel
from transformers import (
    CLIPConfig,
    CLIPImageProcessorPil,
    CLIPModel,
    CLIPTextConfig,
    CLIPTextModel,
    Idefics2Config,
    Idefics2ImageProcessorPil,
    Idefics2Processor,
    PreTrainedTokenizerFast,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
    UMT5Config,
    UMT5EncoderModel,
)

WORDS = (
    "a the of and in on with at cat dog car city river sea sky red blue green golden slow fast running flying "
    "walking street night sunset forest mountain light color style shape face hands texture number word things "
    "clarity tone ambiance artistry hair limbs structure instance quantity attributes position location , ."
).split()


def word_tokenizer(bos: str, eos: str, pad: str, unk: str, max_length: int) -> PreTrainedTokenizerFast:
    """A lower-casing word-level tokenizer over WORDS that wraps each text as `bos text eos`."""
    specials = list(dict.fromkeys([pad, unk, bos, eos]))
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    tok = Tokenizer(WordLevel(vocab, unk_token=unk))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, vocab[bos]), (eos, vocab[eos])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token=pad, unk_token=unk, model_max_length=max_length
    )


def t5_tokenizer() -> T5Tokenizer:
    """A T5 (unigram) tokenizer whose pieces are WORDS plus single letters."""
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{w}", -1.0) for w in WORDS] + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz"]
    return T5Tokenizer(vocab=pieces, extra_ids=0)


def tiny_t5_encoder(vocab_size: int, encoder: type = T5EncoderModel, config: type = T5Config):
    """A 2-layer T5-family text encoder of width 32 (T5 for CogVideoX, UMT5 for Wan)."""
    torch.manual_seed(0)
    return encoder(config(
        vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, decoder_start_token_id=0,
    ))


def clip_config(vocab_size: int, bos: int, eos: int, pad: int) -> CLIPConfig:
    """CLIP at 32x32 pixels, 2 layers of width 32, 16-dim projection."""
    return CLIPConfig(
        text_config=dict(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=16, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad,
        ),
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )


def save_tiny_clip(path: Path) -> CLIPModel:
    """A tiny CLIP release at `path` (model, tokenizer, image processor); returns the model."""
    tokenizer = word_tokenizer("<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", 16)
    torch.manual_seed(0)
    ids = tokenizer.convert_tokens_to_ids
    model = CLIPModel(clip_config(len(tokenizer), ids("<|startoftext|>"), ids("<|endoftext|>"), ids("<|endoftext|>")))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(path)
    return model


def save_tiny_videoscore(path: Path) -> None:
    """A tiny Idefics2 (Mistral text model) with a 5-output head and its processor, saved at `path`."""
    from pav.rewards.videoscore import VideoScoreModel

    tokenizer = word_tokenizer("<s>", "</s>", "<unk>", "<unk>", 4096)
    processor = Idefics2Processor(
        Idefics2ImageProcessorPil(size={"shortest_edge": 16, "longest_edge": 32}), tokenizer, image_seq_len=4
    )
    config = Idefics2Config(
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4, image_size=32,
            patch_size=8,
        ),
        perceiver_config=dict(
            hidden_size=32, rms_norm_eps=1e-5, resampler_n_latents=4, resampler_depth=1, resampler_n_heads=2,
            resampler_head_dim=8, num_key_value_heads=1,
        ),
        text_config=dict(
            model_type="mistral", vocab_size=len(processor.tokenizer), hidden_size=32, intermediate_size=37,
            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
            rms_norm_eps=1e-5, pad_token_id=processor.tokenizer.pad_token_id,
        ),
        image_token_id=processor.image_token_id,
        num_labels=5,
    )
    torch.manual_seed(0)
    VideoScoreModel(config).save_pretrained(path)
    processor.save_pretrained(path)


def save_tiny_cogvideox(path: Path) -> None:
    """A tiny CogVideoXPipeline (16x16 pixels, 1 transformer layer) saved at `path`."""
    from diffusers import AutoencoderKLCogVideoX, CogVideoXPipeline, CogVideoXTransformer3DModel, DDIMScheduler

    tokenizer = t5_tokenizer()
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=16,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
    )
    CogVideoXPipeline(
        tokenizer=tokenizer, text_encoder=tiny_t5_encoder(len(tokenizer)), vae=vae, transformer=transformer,
        scheduler=DDIMScheduler(clip_sample=False, set_alpha_to_one=False, steps_offset=1),
    ).save_pretrained(path)


def save_tiny_wan(path: Path) -> None:
    """A tiny Wan 2.1 text-to-video pipeline (16x16 pixels, 2 transformer layers) saved at `path`."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    WanPipeline(
        tokenizer=tokenizer, text_encoder=tiny_t5_encoder(len(tokenizer), UMT5EncoderModel, UMT5Config), vae=vae,
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    ).save_pretrained(path)


def save_tiny_ltx(path: Path) -> None:
    """A tiny LTX-Video text-to-video pipeline (32x32 pixels, 1 transformer layer, 4x spatial and temporal
    compression) saved at `path`."""
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXPipeline, LTXVideoTransformer3DModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, num_layers=1, caption_channels=32,
    )
    scaling, blocks = (True, True, False, False), (1, 1, 1, 1, 1)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=blocks, decoder_layers_per_block=blocks,
        spatio_temporal_scaling=scaling, decoder_spatio_temporal_scaling=scaling,
        decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4, upsample_factor=(1,) * 4,
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )
    LTXPipeline(
        tokenizer=tokenizer, text_encoder=tiny_t5_encoder(len(tokenizer)), vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    ).save_pretrained(path)


def save_tiny_sd(path: Path) -> None:
    """A tiny Stable Diffusion (1.5-style) text-to-image pipeline (32x32 pixels, CLIP text encoder of 77 tokens)
    saved at `path`, without a safety checker."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    tokenizer = word_tokenizer("<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", 77)
    ids = tokenizer.convert_tokens_to_ids
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=16, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, norm_num_groups=2)
    vae = AutoencoderKL(block_out_channels=[4, 8], in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                                        bos_token_id=ids("<|startoftext|>"), eos_token_id=ids("<|endoftext|>"),
                                        pad_token_id=ids("<|endoftext|>")))
    StableDiffusionPipeline(
        vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=DDIMScheduler(clip_sample=False, set_alpha_to_one=False, steps_offset=1),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    ).save_pretrained(path)
