import numpy as np
import pytest

from pav.models.generators import GENERATORS, load_generator
from pav.models.generators.sim import SimScenic, SimSteady
from pav.rewards.cv_common import colour_mask, hsv_frames


def test_registry_builds_both_profiles_with_settings():
    assert {"sim-steady", "sim-scenic"} <= set(GENERATORS)
    gen = load_generator("sim-scenic", {"frames": 8, "size": 32})
    assert gen.settings() == {"profile": "sim-scenic", "size": 32, "frames": 8, "fps": 8.0, "version": 7}
    (video,) = gen.generate(["a dog"], [0])
    assert video.error is None and video.frames.shape == (8, 32, 32, 3) and video.frames.dtype == np.uint8


def test_deterministic_in_prompt_seed_and_profile():
    steady, scenic = SimSteady(), SimScenic()
    a = steady.render("a cat on the beach", 1)
    assert np.array_equal(a, steady.render("a cat on the beach", 1))
    assert not np.array_equal(a, steady.render("a cat on the beach", 2))
    assert not np.array_equal(a, scenic.render("a cat on the beach", 1))


def test_colour_and_count_follow_the_prompt():
    gen = SimSteady()
    def red_share(prompt):
        return colour_mask(hsv_frames(gen.render(prompt, 0)), "red").mean()
    detail = ", in a lush meadow, golden hour light, macro shot, scuffed surface"  # fitting: a sharp render
    assert red_share(f"three red balls{detail}") > 2 * red_share(f"one red ball{detail}")
    detail = ", in a modern office, cool even light, close-up shot"
    assert red_share(f"a red umbrella{detail}") > 5 * red_share(f"a blue umbrella{detail}")


def test_scene_sets_the_background_palette():
    gen = SimScenic()
    beach = gen.render("a beach", 0)[:, -8:].mean(axis=(0, 1, 2))
    snow = gen.render("a snowy mountain", 0)[:, -8:].mean(axis=(0, 1, 2))
    assert snow[2] > beach[2] + 30  # snow ground is bluish white, sand is yellow


def test_bad_inputs():
    gen = SimSteady(frames=4, size=32)
    with pytest.raises(ValueError, match="seeds"):
        gen.generate(["a"], [0, 1])
    with pytest.raises(ValueError, match="size"):
        SimSteady(size=30)
    videos = gen.generate(["", "x" * 10_000, "un chat très mignon ☃", None], [0, 0, 0, 0])
    assert all(v.frames is not None for v in videos[:3])
    assert videos[3].frames is None and "string" in videos[3].error


@pytest.mark.parametrize("profile", ["sim-steady", "sim-scenic"])
def test_every_style_word_renders(profile):
    from pav.models.generators import load_generator
    from pav.data.sim_vocab import STYLES

    generator = load_generator(profile)
    videos = generator.generate([f"a red car on a street, {style}" for style in STYLES], [0] * len(STYLES))
    assert [v.error for v in videos] == [None] * len(STYLES)
    plain = generator.generate(["a red car on a street"], [0])[0].frames
    assert sum(not np.array_equal(v.frames, plain) for v in videos) == len(STYLES)
