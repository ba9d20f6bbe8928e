"""Media encoding/decoding: videos as H.264 mp4 (PyAV's bundled FFmpeg, in process), images (one frame) as lossless
PNG, and PNG preview strips."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import cv2
import numpy as np

CRF = 12  # near-transparent quality: reward scores should not depend on the codec
# 4:4:4 chroma: at demo sizes (64 px) 4:2:0 smears the saturated sprite edges the colour rewards read
# (PSNR ~32 dB vs ~41 dB); FFmpeg decodes it, some browsers do not.
PIX_FMT = "yuv444p"
# Identical frames must give identical bytes (and so identical scores after a resume). x264's
# macroblock-tree rate control is not repeatable here: the same 64 px clip encoded 20 times in one
# process gave up to 6 different streams, decoded frames up to 22 levels apart, even single-threaded.
# With mbtree off and x264's own threads pinned to one, every encoding is the same.
X264_PARAMS = "threads=1:lookahead-threads=1:mbtree=0"


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class VideoDecodeError(ValueError):
    """The bytes are not a decodable mp4 video or PNG image."""


def _check_frames(frames: np.ndarray) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {getattr(frames, 'dtype', type(frames))} "
                         f"{getattr(frames, 'shape', '')}")
    t, h, w, _ = frames.shape
    if t < 1 or h < 2 or w < 2 or h % 2 or w % 2:
        raise ValueError(f"need >= 1 frame and even height/width, got {frames.shape}")


def encode_mp4(frames: np.ndarray, fps: float) -> bytes:
    """H.264 mp4 (4:4:4, crf 12) of uint8 (T, H, W, 3) frames."""
    _check_frames(frames)
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    t, h, w, _ = frames.shape
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, PIX_FMT
        stream.options = {"crf": str(CRF), "preset": "medium", "x264-params": X264_PARAMS}
        stream.codec_context.thread_count = 1
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        container.mux(stream.encode())
    return buf.getvalue()


def decode_mp4(data: bytes) -> tuple[np.ndarray, float]:
    """(uint8 frames (T, H, W, 3), fps) of mp4 bytes; VideoDecodeError says what is wrong."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise VideoDecodeError("no video bytes (empty input)")
    try:
        with av.open(io.BytesIO(bytes(data)), mode="r") as container:
            if not container.streams.video:
                raise VideoDecodeError(f"mp4 ({len(data)} bytes) holds no video stream")
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            fps = float(stream.average_rate or 0.0)
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except av.FFmpegError as err:
        raise VideoDecodeError(f"corrupt or truncated mp4 ({len(data)} bytes): {err.strerror or err}") from None
    if not frames:
        raise VideoDecodeError(f"mp4 ({len(data)} bytes) holds no decodable frames")
    return np.stack(frames), fps


def encode_clip(frames: np.ndarray, fps: float) -> tuple[bytes, str]:
    """(bytes, suffix) of what a generator made: one frame is an image, kept as lossless PNG (an image model's
    output is judged as rendered, not through a video codec); more frames are an mp4."""
    _check_frames(frames)
    if len(frames) == 1:
        ok, buf = cv2.imencode(".png", cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
        if not ok:
            raise ValueError("PNG encoding failed")
        return buf.tobytes(), "png"
    return encode_mp4(frames, fps), "mp4"


def decode_clip(data: bytes) -> tuple[np.ndarray, float]:
    """(uint8 frames (T, H, W, 3), fps) of mp4 bytes or of a PNG image (one frame, fps 0)."""
    if isinstance(data, (bytes, bytearray)) and bytes(data[:8]) == PNG_SIGNATURE:
        image = cv2.imdecode(np.frombuffer(bytes(data), np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise VideoDecodeError(f"corrupt or truncated PNG ({len(data)} bytes)")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)[None], 0.0
    return decode_mp4(data)


def preview_png(frames: np.ndarray, n: int = 8) -> bytes:
    """A horizontal strip of n evenly spaced frames, as PNG bytes."""
    _check_frames(frames)
    idx = np.linspace(0, len(frames) - 1, max(1, min(n, len(frames)))).round().astype(int)
    strip = np.concatenate(list(frames[idx]), axis=1)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()
