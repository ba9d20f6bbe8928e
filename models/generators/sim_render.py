"""How the simulated video models draw: a scene canvas with its family's features, subject sprites with their
texture and identity mark, and the grade (lighting, style, blur and noise by fidelity). sim.py decides what to
draw and how well (its hidden preferences); this file only draws what it is told."""

from __future__ import annotations

import cv2
import numpy as np

from pav.data.sim_parse import Parsed
from pav.data.sim_colours import COLOURS, identity_mark
from pav.data.sim_vocab import LIGHTING, SCENE_FAMILIES, STYLES


def draw_background(family: str | None, side: int, detail: float, rng: np.random.Generator,
                     elements: int = 0) -> np.ndarray:
    """Scene canvas (side x side RGB float32): sky/wall over ground/floor with family-specific features;
    each fitting element the prompt names (waves, snow-laden pines, neon signs) adds more of them."""
    sky, ground, horizon = SCENE_FAMILIES[family or "studio"]
    rows = np.linspace(0, 1, side, dtype=np.float32)[:, None, None]
    h = int(horizon * side)
    img = np.empty((side, side, 3), np.float32)
    img[:h] = np.asarray(sky, np.float32) * (0.85 + 0.25 * rows[:h] / max(horizon, 1e-3))
    ramp = np.linspace(0.9, 1.1, side - h, dtype=np.float32)[:, None, None]
    img[h:] = np.asarray(ground, np.float32) * ramp
    xs = np.arange(side, dtype=np.float32)
    stripes = np.sin(xs[None, :] * 0.35 + rows[:, :, 0] * 40 * rng.uniform(0.8, 1.2))
    img[h:] += (10 + 14 * detail) * stripes[h:, :, None]
    n = 2 + int(7 * detail) + 3 * min(elements, 4)
    fam = family or "studio"
    for _ in range(n):
        x, s = int(rng.uniform(0, side)), int(rng.uniform(0.06, 0.14) * side)
        if fam in ("green", "forest"):
            top = h - int(s * 2.2)
            pts = np.array([[x, top], [x - s, h + 2], [x + s, h + 2]], np.int32)
            cv2.fillPoly(img, [pts], (25, 95 + 30 * rng.random(), 35))
        elif fam == "city":
            top = int(h * rng.uniform(0.25, 0.7))
            cv2.rectangle(img, (x, top), (x + s, h), (70 + 40 * rng.random(), 75, 90), -1)
            for wy in range(top + 3, h - 3, 6):
                cv2.rectangle(img, (x + 2, wy), (x + s // 2, wy + 2), (230, 210, 120), -1)
        elif fam == "snow":
            pts = np.array([[x, h - 3 * s], [x - 2 * s, h + 1], [x + 2 * s, h + 1]], np.int32)
            cv2.fillPoly(img, [pts], (120, 125, 140))
            cv2.fillPoly(img, [np.array([[x, h - 3 * s], [x - s // 2, h - 2 * s], [x + s // 2, h - 2 * s]],
                                        np.int32)], (250, 250, 255))
        elif fam in ("water", "beach"):
            y = int(rng.uniform(h, side))
            cv2.line(img, (x - 2 * s, y), (x + 2 * s, y), (200, 225, 245), 1)
        elif fam == "desert":
            cv2.ellipse(img, (x, h + s // 2), (2 * s, s), 0, 180, 360, (230, 180, 110), -1)
        elif fam.startswith("indoor"):
            y = int(rng.uniform(0.1, 0.45) * side)
            cv2.rectangle(img, (x, y), (x + s, y + s), (215, 230, 245), -1)
            cv2.rectangle(img, (x, y), (x + s, y + s), (80, 60, 40), 1)
        elif fam == "space":
            cv2.circle(img, (x, int(rng.uniform(0, h))), 1, (255, 255, 240), -1)
        else:
            cv2.circle(img, (side // 2, h // 2), int(side * 0.45), (140, 140, 150), 1)
    return img


# Half-extents (fraction of the sprite size) of the area inside each silhouette where its texture goes.
_TEXTURE_AREA = {"animal": (0.35, 0.15), "person": (0.12, 0.3), "vehicle": (0.4, 0.12), "round": (0.3, 0.3),
                 "tall": (0.1, 0.4), "wide": (0.4, 0.18)}


def draw_subject(img: np.ndarray, shape: str, colour: np.ndarray, cx: float, cy: float, size: float,
                  facing: float, mark: np.ndarray, texture: np.ndarray | None = None) -> None:
    """One sprite: a per-class silhouette with a darker detail so it has texture, and the subject's
    identity mark, so a cat and a horse of one colour still differ. `texture`: points in [-1, 1]^2 where
    fine surface detail (fur, scales, chrome) is drawn, fixed per sprite so it moves with it."""
    c, d, light = colour.tolist(), (colour * 0.55).tolist(), np.minimum(colour * 1.25 + 30, 255).tolist()
    x, y, s = int(round(cx)), int(round(cy)), max(size, 3.0)
    if shape == "animal":
        cv2.ellipse(img, (x, y), (int(s / 2), int(s / 4)), 0, 0, 360, c, -1)
        hx = x + int(facing * s * 0.5)
        cv2.circle(img, (hx, y - int(s / 5)), max(int(s / 6), 1), c, -1)
        cv2.circle(img, (hx, y - int(s / 5)), max(int(s / 18), 1), d, -1)
        for lx in (-0.3, 0.3):
            cv2.line(img, (x + int(lx * s), y + int(s / 5)), (x + int(lx * s), y + int(s / 2.4)), d, 2)
    elif shape == "person":
        cv2.ellipse(img, (x, y), (int(s / 5), int(s / 2.6)), 0, 0, 360, c, -1)
        cv2.circle(img, (x, y - int(s / 2.1)), max(int(s / 7), 1), light, -1)
        cv2.line(img, (x - int(s / 5), y), (x + int(s / 5), y), d, 1)
    elif shape == "vehicle":
        cv2.rectangle(img, (x - int(s / 2), y - int(s / 5)), (x + int(s / 2), y + int(s / 6)), c, -1)
        cv2.rectangle(img, (x - int(s / 5), y - int(s / 3)), (x + int(s / 5), y - int(s / 5)), light, -1)
        for wx in (-0.3, 0.3):
            cv2.circle(img, (x + int(wx * s), y + int(s / 6)), max(int(s / 9), 1), d, -1)
    elif shape == "round":
        cv2.circle(img, (x, y), int(s / 2), c, -1)
        cv2.circle(img, (x - int(s / 7), y - int(s / 7)), max(int(s / 8), 1), light, -1)
    elif shape == "tall":
        cv2.rectangle(img, (x - int(s / 7), y - int(s / 2)), (x + int(s / 7), y + int(s / 2)), c, -1)
        cv2.ellipse(img, (x, y - int(s / 2)), (int(s / 5), int(s / 10) + 1), 0, 0, 360, d, -1)
    else:  # wide
        cv2.rectangle(img, (x - int(s / 2), y - int(s / 4)), (x + int(s / 2), y + int(s / 4)), c, -1)
        cv2.line(img, (x - int(s / 2), y), (x + int(s / 2), y), d, 1)
    if texture is not None and len(texture):
        ax, ay = _TEXTURE_AREA[shape]
        for tx, ty in texture:
            img[min(max(y + int(ty * ay * s), 0), img.shape[0] - 1), min(max(x + int(tx * ax * s), 0), img.shape[1] - 1)] = d
    mx = x + int(facing * s * 0.15) if shape in ("animal", "vehicle", "round", "wide") else x
    my = y - int(s / 5) if shape == "tall" else y
    cv2.circle(img, (mx, my), max(int(s / 8), 1), mark.tolist(), -1)


def grade(frames: np.ndarray, p: Parsed, q: float) -> np.ndarray:
    """Lighting, haze (low fidelity washes colour and contrast out) and style, on float frames."""
    if p.lighting:
        tint = np.mean([LIGHTING[k][0] for k in p.lighting], axis=0)
        gain = float(np.prod([LIGHTING[k][1] for k in p.lighting]) ** (1 / len(p.lighting)))
        sat = float(np.mean([LIGHTING[k][2] for k in p.lighting]))
        frames = frames * (tint * gain).astype(np.float32)
    else:
        sat = 1.0
    grey = frames.mean(axis=-1, keepdims=True)
    frames = grey + (frames - grey) * (sat * (0.55 + 0.55 * q))
    haze = 0.35 * (1 - q)
    frames = frames * (1 - haze) + haze * frames.mean()
    for style in dict.fromkeys(STYLES[s] for s in p.styles):
        frames = _STYLE_OPS[style](frames)
    return frames


def _edges(f: np.ndarray) -> np.ndarray:
    g = f.mean(axis=-1)
    mag = np.abs(np.diff(g, axis=1, prepend=g[:, :1])) + np.abs(np.diff(g, axis=2, prepend=g[:, :, :1]))
    return np.repeat((250 - 3 * mag)[..., None], 3, axis=-1)


def _pixel(f: np.ndarray) -> np.ndarray:
    t, h, w, _ = f.shape
    small = f.reshape(t, h // 4, 4, w // 4, 4, 3).mean(axis=(2, 4))  # size is a multiple of 4
    return np.repeat(np.repeat(small, 4, axis=1), 4, axis=2)


_STYLE_OPS = {
    "gray": lambda f: np.repeat(f @ np.array([[0.299], [0.587], [0.114]], np.float32), 3, axis=-1),
    "poster": lambda f: np.floor(np.clip(f, 0, 255) / 64) * 64 + 32,
    "pixel": _pixel,
    "edges": _edges,
    "paint": lambda f: f + 6 * np.sin(np.arange(f.shape[2], dtype=np.float32) * 1.3)[None, None, :, None],
    "wash": lambda f: f * 0.8 + 50,
    "neon": lambda f: (f - f.mean(axis=-1, keepdims=True)) * 1.5 + f.mean(axis=-1, keepdims=True)
    * np.array([0.8, 0.6, 1.0], np.float32),
    "sepia": lambda f: f @ np.array([[0.39, 0.35, 0.27], [0.77, 0.69, 0.53], [0.19, 0.17, 0.13]], np.float32),
    "real": lambda f: f,
}


def draw_subjects(frames: np.ndarray, p: Parsed, q: float, rng: np.random.Generator, offset: np.ndarray,
                  zoom: np.ndarray, texture: int = 0) -> None:
    """Draw the prompt's subjects (at most 5 sprites) into frames (T, S, S, 3) in place: their colour, mark and
    texture, moving as the prompt says, with artifacts at low fidelity."""
    T, S = frames.shape[0], frames.shape[1]
    sprites = [(subj, colour) for subj, colour, count in p.subjects for _ in range(count)][:5]
    if p.reversed_order:
        sprites.reverse()
    if not sprites:
        return
    n = len(sprites)
    _, _, horizon = SCENE_FAMILIES[p.scene or "studio"]
    # Velocity: the named motion, else an idle drift; lively only at high fidelity.
    if p.motion is not None:
        dx, dy, speed = p.motion
        speed *= 0.3 if p.static else 0.3 + 0.7 * q
    else:
        ang = rng.uniform(0, 2 * np.pi)
        dx, dy, speed = np.cos(ang), np.sin(ang), 0.8 * q
    travel = min(speed * (S / 64) * (T - 1), 0.3 * S)
    vel = np.array([dx, dy], np.float32) / max(np.hypot(dx, dy), 1e-6) * travel / max(T - 1, 1)
    gap = S / (n + 1)
    size_cap = 0.8 * gap if not p.vertical or n == 1 else 0.8 * min(gap, S / 2)
    base_y = S * min(max(horizon, 0.5), 0.62)
    for k, (subj, colour) in enumerate(sprites):
        if p.vertical:
            x0, y0 = S / 2, gap * (k + 1)
        else:
            x0, y0 = gap * (k + 1), base_y
        start = np.array([x0, y0], np.float32) - vel * (T - 1) / 2
        size = min(subj.size * S * (0.8 + 0.2 * q), size_cap)
        rgb = np.asarray(COLOURS[colour], np.float32)
        mark = np.asarray(COLOURS[identity_mark(subj, colour)], np.float32)
        bob = rng.uniform(0, 2 * np.pi)
        dots = rng.uniform(-1, 1, (6 * min(texture, 3), 2)) if texture else None
        for i in range(T):
            pos = start + vel * i
            pos[1] += 0.6 * q * np.sin(bob + i * 0.8) * (S / 64)
            # Artifacts: at low fidelity an object jumps somewhere else or vanishes for a frame.
            r = rng.random()
            if r < 0.12 * (1 - q) ** 2:
                continue
            if r < 0.24 * (1 - q) ** 2:
                pos = pos + rng.uniform(-0.25, 0.25, 2) * S
            screen = (pos - S / 2) * zoom[i] + S / 2 + offset[i]
            draw_subject(frames[i], subj.shape, rgb, screen[0], screen[1], size * zoom[i],
                         np.sign(vel[0]) or 1.0, mark, dots)
