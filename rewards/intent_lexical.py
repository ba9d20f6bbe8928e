"""The lexical intent judge: which content words of the original a rewrite lost, read without weights.

Content words are matched with their inflections, synonyms and derived forms (data/intent_vocab.py); a negated
word must stay negated, a number stay that number, a quoted span stay whole.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from pav.data.intent_vocab import (DERIVED, DETERMINERS, IRREGULAR, NEGATORS, NOT_INFLECTED, NUMBERS, STOPWORDS,
                                   SYNONYMS)
from pav.rewards.intent import IntentResult, JudgeUsage

_CANON = {word: group[0] for group in SYNONYMS for word in group}
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|[.,;:!?()\[\]{}]")
# A single-quoted span opens and closes at a word boundary, so apostrophes ("the dog's") never open one.
_QUOTE = re.compile(r'"([^"]+)"|(?<![A-Za-z0-9])\'([^\']+)\'(?![A-Za-z0-9])')
_QUOTE_MARKS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})



@dataclass
class _Token:
    surface: str  # as written (hyphens kept, case kept)
    word: str  # lower case, possessive 's dropped
    clause: int  # punctuation separates clauses; negation and compounds never cross them
    start: int


def _normalise(text: str) -> str:
    """Accents dropped, curly quotes made straight (so "café" == "cafe")."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTE_MARKS))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _tokens(text: str) -> list[_Token]:
    out, clause = [], 0
    for match in _TOKEN.finditer(text):
        surface = match.group()
        if not surface[0].isalnum():
            clause += 1
            continue
        word = surface.lower()
        out.append(_Token(surface, word[:-2] if word.endswith("'s") else word, clause, match.start()))
    return out


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and "'" not in word and (len(word) > 1 or word.isdigit())


def _bases(word: str) -> set[str]:
    """Candidate base forms of an inflected word (cats -> cat, flies -> fly, dancing -> dance)."""
    out = {table[word] for table in (IRREGULAR, DERIVED) if word in table}
    if word in NOT_INFLECTED or len(word) < 4:
        return out
    if word.endswith("men"):
        out.add(word[:-3] + "man")  # fishermen -> fisherman
    if word.endswith("ies"):
        out.add(word[:-3] + "y")
    if word.endswith("ves"):
        out |= {word[:-3] + "f", word[:-3] + "fe"}
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh", "o")):
        out.add(word[:-2])
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        out.add(word[:-1])
    if word.endswith("ied"):
        out |= {word[:-3] + "y", word[:-3] + "ie"}
    for suffix in ("ing", "ed"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and any(v in stem for v in "aeiouy"):
            out |= {stem, stem + "e"}
            if stem[-1] == stem[-2] and stem[-1] not in "aeiou":
                out.add(stem[:-1])  # running -> run
    if word.endswith("ly") and len(word) >= 6:
        out |= {word[:-2], word[:-1] + "e"}  # slowly -> slow, gently -> gentle
        if word.endswith("ily"):
            out.add(word[:-3] + "y")  # happily -> happy
    return out


@lru_cache(maxsize=1 << 16)
def _forms(word: str) -> frozenset[str]:
    """The comparable forms of a word: its bases, synonyms folded to one name, numbers as digits."""
    parts = word.split("-")
    if word.isdigit():
        return frozenset({str(int(word))})
    if all(p in NUMBERS for p in parts):
        return frozenset({str(sum(NUMBERS[p] for p in parts))})  # two, twenty-five
    joined = word.replace("-", "")
    return frozenset(_CANON.get(b, b) for b in {joined} | _bases(joined))


def _negated(tokens: list[_Token]) -> set[int]:
    """Indices of the words a negator denies: "no cat", "without a black cat", "no cats or dogs"."""
    denied: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.word not in NEGATORS and not tok.word.endswith("n't"):
            continue
        j, taken = i + 1, 0
        while j < len(tokens) and tokens[j].clause == tok.clause and taken < 3:
            word = tokens[j].word
            if word in DETERMINERS or (taken and word in ("or", "nor")):
                j += 1
                continue
            # the phrase ends at a function word or at a verb after its noun ("no collar sitting")
            if not _is_content(word) or (taken and word.endswith(("ing", "ed"))):
                break
            denied.add(j)
            taken += 1
            j += 1
    return denied


class _Rewrite:
    """The forms a rewrite offers, negated words left out, plus its word sequence for compounds."""

    def __init__(self, text: str):
        tokens = _tokens(text)
        denied = _negated(tokens)
        self.text = " ".join(text.lower().split())
        self.forms: set[str] = set()
        self.parts: list[tuple[int, str]] = []  # (clause, word part) with hyphens split
        for i, tok in enumerate(tokens):
            self.parts += [(tok.clause, p) for p in tok.word.split("-") if p]
            if i in denied or not _is_content(tok.word):
                continue
            self.forms |= _forms(tok.word)
            self.forms.update(f for p in tok.word.split("-") if _is_content(p) for f in _forms(p))
            for n in (2, 3):  # "sail boat" offers "sailboat", "t shirt" offers "tshirt"
                run = tokens[i:i + n]
                if len(run) == n and all(t.clause == tok.clause and _is_content(t.word) for t in run) \
                        and not denied.intersection(range(i, i + n)):
                    self.forms |= _forms("".join(t.word.replace("-", "") for t in run))

    def has(self, word: str) -> bool:
        return bool(_forms(word) & self.forms)

    def has_sequence(self, parts: list[str]) -> bool:
        """The parts of a compound as consecutive words: "close-up" ~ "close up"."""
        n = len(parts)
        for i in range(len(self.parts) - n + 1):
            window = self.parts[i:i + n]
            if len({c for c, _ in window}) == 1 and all(
                    p == w or _forms(p) & _forms(w) for p, (_, w) in zip(parts, window)):
                return True
        return False

    def has_quote(self, quoted: str) -> bool:
        return re.search(rf"(?<!\w){re.escape(quoted)}(?!\w)", self.text) is not None


class LexicalIntent:
    """Weight-free judge: every content word, number and quoted text of the original must survive."""

    name = "lexical"

    def __init__(self):
        self.usage = JudgeUsage()  # weight-free: judging costs nothing

    def judge(self, originals: Sequence[str], rewrites: Sequence[str]) -> list[IntentResult]:
        if len(originals) != len(rewrites):
            raise ValueError(f"intent judge: {len(originals)} originals but {len(rewrites)} rewrites")
        return [self._judge_one(o, r) for o, r in zip(originals, rewrites)]

    def _judge_one(self, original: str, rewrite: str) -> IntentResult:
        other = _Rewrite(_normalise(rewrite))
        found, text = self._quotes(_normalise(original), other)  # found: (position, item as written, kept)
        tokens = _tokens(text)
        denied = _negated(tokens)  # words the user asked to be absent are not items
        words = [(i, t) for i, t in enumerate(tokens) if i not in denied and _is_content(t.word)]
        kept = {i: self._kept(t.word, other) for i, t in words}
        for (i, a), (j, b) in zip(words, words[1:]):  # "window sill" is kept by "windowsill"
            if j == i + 1 and a.clause == b.clause and "-" not in a.word + b.word \
                    and other.has(a.word + b.word):
                kept[i] = kept[j] = True
        seen: list[tuple[frozenset[str], bool, int]] = []  # each word item: forms, verb form, index in found
        for i, tok in words:
            forms, verbal = _forms(tok.word), tok.word.endswith(("ing", "ed"))
            # "cat ... cats" is one item, kept if either is; "tying a tie" is two
            same = next((k for earlier, v, k in seen if forms & earlier and v == verbal), None)
            if same is not None:
                found[same] = (*found[same][:2], found[same][2] or kept[i])
                continue
            seen.append((forms, verbal, len(found)))
            surface = tok.surface[:-2] if tok.surface.lower().endswith("'s") else tok.surface
            found.append((tok.start, surface, kept[i]))
        found.sort(key=lambda f: f[0])
        items = [item for _, item, _ in found]
        lost = [item for _, item, ok in found if not ok]
        return IntentResult(intent=(len(items) - len(lost)) / len(items) if items else 1.0, lost=lost, items=items)

    @staticmethod
    def _quotes(text: str, other: _Rewrite) -> tuple[list[tuple[int, str, bool]], str]:
        """The quoted texts of the original as items, and the original with them blanked out."""
        found = []
        for match in _QUOTE.finditer(text):
            quoted = " ".join((match.group(1) or match.group(2)).lower().split()).strip(" .,;:!?")
            if quoted:
                found.append((match.start(), match.group(), other.has_quote(quoted)))
                text = text[:match.start()] + " " * len(match.group()) + text[match.end():]
        return found, text

    @staticmethod
    def _kept(word: str, other: _Rewrite) -> bool:
        if other.has(word):
            return True
        parts = [p for p in word.split("-") if p]
        if len(parts) < 2:
            return False
        content = [p for p in parts if _is_content(p)]
        # a compound survives as its words in order, or as all its content words ("snow-covered")
        return other.has_sequence(parts) or (len(content) >= 2 and all(other.has(p) for p in content))
