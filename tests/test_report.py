"""The evaluation report: self-contained HTML, Markdown tables, readable PNGs, all written through the store."""

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pav.report import interval, markdown_table, markdown_win_rates, terminal_rows, write_report
from pav.data.schemas import DIMENSIONS
from pav.data.store import Store
from pav.rewards.aggregate import AggregationConfig, overall
from pav.rewards.evaluation import cross_model_matrix, evaluation_tables, method_table, win_rates

CFG = AggregationConfig()
METHODS = ["original", "gpt4-upsampler", "sft", "dpo-1", "dpo-2"]
N_BOOT = 200


def evals(prompts: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k, method in enumerate(METHODS):
        for p in range(prompts):
            row = {"method": method, "prompt_id": f"p{p}", "original": f"a red fox {p}", "prompt": f"{method} {p}",
                   "seed": 0, "video_id": f"{method}-{p}", "error": None,
                   "intent": 1.0 if method != "gpt4-upsampler" else 0.75,
                   "lost": "" if method != "gpt4-upsampler" else "fox", "keeps_intent": method != "gpt4-upsampler"}
            row.update({d: float(rng.uniform(2.0, 3.0) + 0.1 * k) for d in DIMENSIONS[:5]})
            row.update(aesthetic=float(rng.uniform(4, 5) + 0.2 * k), preference=float(rng.uniform(8, 10) + 0.5 * k))
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.loc[(frame.method == "sft") & (frame.prompt_id == "p1"), [*DIMENSIONS]] = np.nan
    frame["overall"] = overall(frame, CFG)
    return frame


def clip(channel: int, height: int = 36, width: int = 64) -> np.ndarray:
    frames = np.zeros((6, height, width, 3), np.uint8)
    frames[..., channel] = np.linspace(0, 255, 6).astype(np.uint8)[:, None, None]
    return frames


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("run"))
    frame = evals()
    cells = {("wan", "wan"): frame[frame.method.isin(["original", "dpo-2"])],
             ("wan", "cog"): frame[frame.method.isin(["original", "sft"])]}
    written = write_report(
        store, "eval/sim", evaluation_tables(frame, CFG, N_BOOT), CFG, title="Prompt-A-Video on sim <test>",
        evolution_rounds=[{"round": r, "original_overall": 15.0, "best_overall": 15.0 + r} for r in range(3)],
        frames={"a red fox 0 | jumping": [("original", clip(0)), ("dpo-2", clip(2))],
                "a red fox 2": [("original", None), ("dpo-2", clip(1))]},
        cross_model=cross_model_matrix(cells), n_boot=N_BOOT)
    return store, frame, written


def test_writes_every_part_under_the_stage(report):
    store, _, written = report
    assert set(written) == {"html", "markdown", "dimensions", "win_rates", "evolution", "stages", "cross_model",
                            "samples"}
    assert sorted(written.values()) == store.ls("eval/sim")  # nothing else, no temporary leftovers
    assert written["html"] == "eval/sim/report.html"


def test_html_is_self_contained_and_holds_the_tables(report):
    store, frame, written = report
    page = store.read_bytes(written["html"]).decode()
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page, flags=re.I)
    assert links and all(u.startswith("data:image/png;base64,") or u.startswith("#") for u in links)
    assert not re.search(r"<(link|script|iframe)\b|url\(|@import", page, flags=re.I)
    assert "Prompt-A-Video on sim &lt;test&gt;" in page
    table = method_table(frame, CFG, n_boot=N_BOOT)
    for _, row in table.iterrows():
        assert f"<td>{row['method']}</td>" in page
        for m in ("vq", "aesthetic", "average", "overall"):
            assert interval(row[m], row[f"{m}_lo"], row[f"{m}_hi"]) in page
    # Every plot is inlined byte for byte.
    inlined = [base64.b64decode(u.split(",", 1)[1]) for u in links]
    pngs = [store.read_bytes(p) for k, p in written.items() if p.endswith(".png")]
    assert sorted(inlined) == sorted(pngs)
    for word in ("visual quality", "temporal consistency", "dynamic degree", "text-video alignment",
                 "factual consistency", "1.6-6.4", "4-16", "bootstrap"):
        assert word in page


def test_markdown_has_the_paper_table_win_rates_and_links(report):
    store, frame, written = report
    text = store.read_bytes(written["markdown"]).decode()
    table = method_table(frame, CFG, n_boot=N_BOOT)
    assert markdown_table(table) in text
    assert markdown_win_rates(win_rates(frame, ["original"])) in text
    assert "| Method | n | VQ | TC | DD | TVA | FC | Aesthetic | Preference | Average | Overall |" in text
    sft = table.set_index("method").loc["sft"]
    assert f"| sft | 7 | {interval(sft['vq'], sft['vq_lo'], sft['vq_hi'])} |" in text
    assert "| dpo-2 | original | 100% | 100% | 0% | 0% | 8 |" in text
    assert "| gpt4-upsampler | original |" in text and "| dpo-2 | gpt4-upsampler |" in text  # every baseline
    assert "| gpt4-upsampler | a red fox 0 | gpt4-upsampler 0 | 0.75 | fox |" in text  # what a rewrite lost
    for name in ("dimensions", "win_rates", "evolution", "stages", "cross_model", "samples"):
        assert f"]({name}.png)" in text
    # what each method adds: the prompts here are "<method> <n>" (nothing of the original), one addition each
    assert "| Method | Rewrites | Distinct additions | Boilerplate | Top phrase | Most common added phrases |" in text
    assert "| dpo-2 | 8 | 8 | 0% | 12% | dpo-2 0 (1); dpo-2 1 (1); dpo-2 2 (1) |" in text


def test_pngs_are_valid_images(report):
    store, _, written = report
    for key, path in written.items():
        if path.endswith(".png"):
            image = Image.open(io.BytesIO(store.read_bytes(path)))
            image.load()
            assert image.format == "PNG" and image.width >= 400 and image.height >= 250, key
    samples = Image.open(io.BytesIO(store.read_bytes(written["samples"])))
    assert samples.height > samples.width / 2  # four rows of frames, not squashed into one


def test_optional_parts_are_left_out_and_memory_roots_work():
    store = Store("memory://report-minimal")
    frame = evals(prompts=4)
    frame = frame[frame.method.isin(["original", "gpt4-upsampler"])]
    written = write_report(store, "eval/x", evaluation_tables(frame, CFG, 50), CFG, title="minimal", n_boot=50)
    assert set(written) == {"html", "markdown", "dimensions", "win_rates"}
    assert "gpt4-upsampler" in store.read_bytes(written["html"]).decode()


def test_bad_frames_are_named():
    frame = evals(prompts=3)
    with pytest.raises(ValueError, match="uint8 \\(T, H, W, 3\\)"):
        write_report(Store("memory://report-bad"), "eval/x", evaluation_tables(frame, CFG, 20), CFG, title="t", n_boot=20,
                     frames={"a fox": [("original", clip(0).astype(np.float32))]})


def test_terminal_rows_round_the_table():
    table = method_table(evals(prompts=4), CFG, n_boot=20)
    rows = terminal_rows(table)
    assert [r["method"] for r in rows] == METHODS
    assert rows[2]["n"] == 3 and rows[0]["n"] == 4
    assert rows[-1]["overall"] == round(float(table["overall"].iloc[-1]), 2)
    assert set(rows[0]) == {"method", "n", *DIMENSIONS, "average", "overall", "intent"}
