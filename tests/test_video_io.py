import cv2
import numpy as np
import pytest

from pav.data.video import VideoDecodeError, decode_mp4, encode_mp4, preview_png
from pav.models.generators.sim import SimSteady


@pytest.fixture(scope="module")
def clip():
    return SimSteady().render("a red car driving to the left, pan right, golden hour lighting", 3)


def test_round_trip_keeps_shape_fps_and_pixels(clip):
    frames, fps = decode_mp4(encode_mp4(clip, 8.0))
    assert frames.shape == clip.shape and frames.dtype == np.uint8 and fps == 8.0
    mse = np.mean((frames.astype(np.float64) - clip) ** 2)
    assert 10 * np.log10(255**2 / mse) > 35


def test_identical_frames_encode_to_identical_bytes():
    # x264's macroblock tree gave several different streams for one clip before it was turned off.
    from concurrent.futures import ThreadPoolExecutor

    from pav.models.generators.sim import SimScenic

    clips = [SimSteady().render("a black cat jumping onto a windowsill", 0),
             SimScenic().render("a tranquil tableau of a restaurant, oil painting", 1)]
    for frames in clips:
        serial = {encode_mp4(frames, 8.0) for _ in range(12)}
        with ThreadPoolExecutor(3) as pool:
            threaded = set(pool.map(lambda _: encode_mp4(frames, 8.0), range(12)))
        assert len(serial) == 1 and serial == threaded


def test_decode_is_deterministic(clip):
    data = encode_mp4(clip, 8.0)
    assert np.array_equal(decode_mp4(data)[0], decode_mp4(data)[0])


@pytest.mark.parametrize("cut", ["truncated", "garbage", "empty"])
def test_bad_bytes_raise_video_decode_error(clip, cut):
    data = encode_mp4(clip, 8.0)
    bad = {"truncated": data[: len(data) // 2], "garbage": b"not a video" * 20, "empty": b""}[cut]
    with pytest.raises(VideoDecodeError, match="mp4|bytes"):
        decode_mp4(bad)
    assert issubclass(VideoDecodeError, ValueError)


def test_encode_rejects_odd_sizes_and_wrong_dtype():
    with pytest.raises(ValueError, match="even"):
        encode_mp4(np.zeros((2, 15, 16, 3), np.uint8), 8.0)
    with pytest.raises(ValueError, match="uint8"):
        encode_mp4(np.zeros((2, 16, 16, 3), np.float32), 8.0)


def test_preview_is_a_strip_of_n_frames(clip):
    img = cv2.imdecode(np.frombuffer(preview_png(clip, n=4), np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (64, 4 * 64, 3)
    assert np.array_equal(img[:, :64, ::-1], clip[0])
