"""The lexical intent judge: a rewrite keeps the original's content (inflected, synonymous, reordered,
compounded) or loses it (another subject, another count, another colour, a negation)."""

import re
import statistics
from pathlib import Path

import pytest

from pav.data.intent_vocab import STOPWORDS, SYNONYMS
from pav.rewards.intent import INTENT_JUDGES, IntentResult, load_intent_judge
from pav.rewards.intent_lexical import LexicalIntent

VBENCH = Path(__file__).resolve().parents[1] / "data" / "vbench"

# (original, rewrite, the items it loses)
CASES = [
    # faithful: details appended, inflections, synonyms, reordering, compounds
    ("a taxi driving through the rain at night",
     "A yellow cab drives through heavy rain at night, neon reflections on the wet street", []),
    ("two dogs playing in a park", "Two dogs play together on the green grass of a sunny park", []),
    ("a cat sitting on a sofa", "A fluffy cat sits on a comfortable couch in the living room", []),
    ("a man riding a bicycle", "A man rides his bike along a quiet country road", []),
    ("children running on the beach", "A child runs along the beach while other kids watch", []),
    ("a sail boat on a lake", "A small sailboat drifts on a calm lake", []),
    ("a cat on a window sill", "A cat naps on the windowsill", []),
    ("a black cat jumping onto a windowsill", "A sleek black cat leaps gracefully onto a sunlit window sill", []),
    ("a boy wearing a t-shirt", "A boy wearing a plain white tshirt", []),
    ("a bird flying over a city", "Birds fly over the crowded cities of the coast", []),
    ("leaves falling from a tree", "A single leaf falls slowly from an old oak tree", []),
    ("a wolf howling at the moon", "Three wolves howl at the full moon", []),
    ("a mouse eating cheese", "Two mice eat a piece of cheese", []),
    ("people walking in the rain", "A person walks through the rain", []),
    ("a red car parked on the street", "On the street, a shiny red automobile is parked", []),
    ("three birds on a wire", "3 birds perch on a power wire", []),
    ('a neon sign that says "OPEN"', 'A flickering neon sign reads "open" above the door', []),
    ("a kid flying a kite", "A child flies a red kite on a windy hill", []),
    ("a snowy field", "A wide field covered in fresh snow", []),
    ("a close-up of a flower", "A close up of a blooming flower", []),
    ("a black-and-white photo of a dog", "A black and white photograph of a dog", []),
    ("a cat sitting on a sofa", "A cat with no collar sitting on a sofa", []),
    ("a café in Paris", "A small cafe in Paris at dawn", []),
    # unfaithful: the subject, the action, the count, the colour or the quoted text changed
    ("a black cat jumping onto a windowsill",
     "a black bat hovering gently, the camera slowly zooms in, the camera pans left slowly",
     ["cat", "jumping", "windowsill"]),
    ("a chef flipping a pancake", "a chef spinning a plate, the camera pans right slowly", ["flipping", "pancake"]),
    ("a fox trotting across a snowy field", "a fox rolling gently, warm light at sunset",
     ["trotting", "snowy", "field"]),
    ("A tranquil tableau of restaurant", "A tranquil, warm light, soft golden hour light, soft blue light",
     ["restaurant"]),
    ("three red apples on a table", "two red apples on a table", ["three"]),
    ("two dogs playing", "a dog playing happily", ["two"]),
    ("a white cat", "a black cat", ["white"]),
    ('a sign that says "OPEN"', 'a sign that says "CLOSED"', ['"OPEN"']),
    ("a cat", "a category of concatenated images", ["cat"]),
    ("an art exhibition", "a party exhibition", ["art"]),
    ("a horse galloping", "a dog galloping across a meadow", ["horse"]),
    ("a cat on a sofa", "a sofa without a cat", ["cat"]),
    ("a dog in the yard", "a yard with no dog, only grass", ["dog"]),
    ("a ship at sea", "a boat on the ocean", ["ship"]),  # sea ~ ocean, but a boat is not a ship
    ("a kitten playing", "a cat playing", ["kitten"]),  # narrower or broader is not the same animal
]


@pytest.mark.parametrize("original,rewrite,lost", CASES)
def test_cases(original, rewrite, lost):
    [result] = LexicalIntent().judge([original], [rewrite])
    assert result.lost == lost, (result.items, result.lost)
    assert result.intent == pytest.approx(1 - len(lost) / len(result.items))


@pytest.mark.parametrize("original,rewrite,items,intent", [
    ("a black cat jumping onto a windowsill", "a black bat hovering gently",
     ["black", "cat", "jumping", "windowsill"], 1 / 4),
    ("a chef flipping a pancake", "a chef spinning a plate", ["chef", "flipping", "pancake"], 1 / 3),
    ("three red apples on a table", "two red apples on a table", ["three", "red", "apples", "table"], 3 / 4),
    ('a sign that says "OPEN"', 'a sign that says "CLOSED"', ["sign", '"OPEN"'], 1 / 2),
    ("A Black Cat", "a black cat", ["Black", "Cat"], 1.0),  # items as the user wrote them
    ("a cat chasing another cat", "two cats chasing", ["cat", "chasing"], 1.0),  # one item per thing
    ("a street with no cars", "an empty street", ["street"], 1.0),  # what the user excludes is no item
    ("A person is tying tie", "a man tying a silk tie", ["person", "tying", "tie"], 2 / 3),
    ("", "a cat", [], 1.0),
    ("the one in there", "a cat", [], 1.0),
])
def test_items_and_exact_intent(original, rewrite, items, intent):
    [result] = LexicalIntent().judge([original], [rewrite])
    assert result.items == items
    assert result.intent == pytest.approx(intent)


@pytest.mark.parametrize("base,forms", [
    ("cat", "cats"), ("jump", "jumps jumping jumped"), ("city", "cities"), ("run", "running runs ran"),
    ("dance", "dancing danced dances"), ("fly", "flies flying flew"), ("leaf", "leaves"), ("wolf", "wolves"),
    ("mouse", "mice"), ("person", "people"), ("man", "men"), ("child", "children"), ("box", "boxes"),
    ("knife", "knives"), ("fisherman", "fishermen"), ("gentle", "gently"), ("2", "two"),
])
def test_inflections_keep_the_item_both_ways(base, forms):
    judge = LexicalIntent()
    for form in forms.split():
        for a, b in ((base, form), (form, base)):
            assert judge.judge([f"a {a} here"], [f"the {b} there"])[0].lost == [], (a, b)


@pytest.mark.parametrize("original,rewrite", [
    ("a sail boat", "a sailboat"), ("a sailboat", "a sail boat"), ("a window sill", "a windowsill"),
    ("a windowsill", "a window sill"), ("a t-shirt", "a t shirt"), ("a t-shirt", "a tshirt"),
    ("a tshirt", "a t-shirt"), ("a snow-covered hill", "a hill covered with snow"),
])
def test_compounds(original, rewrite):
    assert LexicalIntent().judge([original], [rewrite])[0].intent == 1.0


@pytest.mark.parametrize("original,rewrite", [
    ("a cat", "a category"), ("a cat", "concatenate"), ("art", "a party"), ("a car", "a carpet of cards"),
    ("a cat", "a bat"), ("a horse", "a dog"), ("a pancake", "a plate"), ("a white cat", "a whitish cat"),
    ("a cat", "no cat at all"), ("a cat", "there isn't a cat"), ("a dog", "a room without any dogs"),
    ("left", "the leaves"),
])
def test_no_false_keep(original, rewrite):
    assert LexicalIntent().judge([original], [rewrite])[0].intent < 1.0


def test_quoted_text_must_appear_verbatim():
    judge = LexicalIntent()
    results = judge.judge(["a banner with 'Happy Birthday'"] * 5,
                          ["'HAPPY BIRTHDAY!' on a banner", "a banner: Happy  birthday", "a birthday banner",
                           "a happy banner for a birthday", "a banner saying Happy Birthdays"])
    assert [r.intent for r in results] == [1.0, 1.0, 0.5, 0.5, 0.5]
    assert results[2].lost == ["'Happy Birthday'"]
    assert judge.judge(["the dog's bone and the cat's toy"], ["a dog and a cat with a bone and a toy"])[0].items \
        == ["dog", "bone", "cat", "toy"]  # apostrophes open no quote


def test_batch_equals_one_by_one():
    judge = LexicalIntent()
    originals, rewrites = [c[0] for c in CASES], [c[1] for c in CASES]
    assert judge.judge(originals, rewrites) == [judge.judge([o], [r])[0] for o, r in zip(originals, rewrites)]
    assert judge.judge([], []) == []
    assert isinstance(judge.judge(["a cat"], ["a cat"])[0], IntentResult)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 originals but 1 rewrites"):
        LexicalIntent().judge(["a cat", "a dog"], ["a cat"])


def test_registry():
    assert set(INTENT_JUDGES) == {"lexical", "llm"}
    judge = load_intent_judge("lexical")
    assert isinstance(judge, LexicalIntent) and judge.name == "lexical"
    assert isinstance(load_intent_judge("lexical", {}), LexicalIntent)
    with pytest.raises(ValueError, match="lexical"):
        load_intent_judge("nope")


def test_synonym_table_is_lower_case_and_each_word_in_one_group():
    words = [w for group in SYNONYMS for w in group]
    assert all(len(group) >= 2 for group in SYNONYMS)
    assert all(re.fullmatch(r"[a-z]+", w) for w in words), [w for w in words if not re.fullmatch(r"[a-z]+", w)]
    assert len(words) == len(set(words)), sorted({w for w in words if words.count(w) > 1})
    assert not set(words) & STOPWORDS
    assert 40 <= len(SYNONYMS) <= 80


# --- generalisation: the bundled VBench prompts and their published rewrites -------------------------

def vbench(name: str) -> list[str]:
    return (VBENCH / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def originals():
    return vbench("all_dimension.txt")


def swap_first_noun(originals: list[str]) -> list[tuple[int, str]]:
    """Each original whose first noun (a VBench object or scene name) is replaced by another prompt's."""
    names = {line.split()[-1].lower() for f in ("object_class.txt", "scene.txt")
             for line in vbench(f"prompts_per_dimension/{f}") if line.strip()}
    results = LexicalIntent().judge(originals, originals)
    nouns = [next((w for w in r.items if w.lower() in names), None) for r in results]
    n, swapped = len(originals), []
    for i, noun in enumerate(nouns):
        if noun is None:
            continue
        other = next(nouns[(i + k) % n] for k in range(n // 2, n + n // 2)
                     if nouns[(i + k) % n] and nouns[(i + k) % n].lower() != noun.lower())
        swapped.append((i, re.sub(rf"\b{re.escape(noun)}\b", other.lower(), originals[i], count=1)))
    return swapped


@pytest.mark.parametrize("rewrites,at_least", [("all_dimension_wan_extended.txt", 0.90),
                                               ("all_dimension_gpt_enhanced.txt", 0.85)])
def test_published_rewrites_keep_intent_and_swapped_subjects_do_not(originals, rewrites, at_least):
    rewritten = vbench(rewrites)
    assert len(rewritten) == len(originals) == 946
    results = LexicalIntent().judge(originals, rewritten)
    mean = statistics.mean(r.intent for r in results)
    faithful = sum(r.intent == 1.0 for r in results) / len(results)
    print(f"\n{rewrites}: mean intent {mean:.4f}, fully faithful {faithful:.1%}")
    for i in sorted(range(len(results)), key=lambda i: results[i].intent)[:5]:
        print(f"  {results[i].intent:.2f} lost {results[i].lost} | {originals[i]} -> {rewritten[i][:100]}")
    assert mean >= at_least

    swapped = swap_first_noun(originals)
    assert len(swapped) > 700
    kept = LexicalIntent().judge([originals[i] for i, _ in swapped], [rewritten[i] for i, _ in swapped])
    fooled = LexicalIntent().judge([text for _, text in swapped], [rewritten[i] for i, _ in swapped])
    print(f"  first noun swapped ({len(swapped)} prompts): {statistics.mean(r.intent for r in kept):.4f} -> "
          f"{statistics.mean(r.intent for r in fooled):.4f}")
    assert statistics.mean(r.intent for r in fooled) < 0.8
    assert statistics.mean(r.intent for r in fooled) < statistics.mean(r.intent for r in kept) - 0.25
