"""Offline intent classifier: plain phrasing (typos, synonyms, word order) -> one chat intent.

Why a trained classifier and not more keywords: people type "stauts", "kill swich", "get me out
of the market". A TF-IDF model over character n-grams (scikit-learn) is robust to typos and
word order, and is trained on the phrase set kept in `bot/conversation/phrases/train.tsv`; before it, each
word not in the training vocabulary is snapped to its nearest known word with rapidfuzz (so
"tiem" is read as "time"). Asset names and numbers are replaced by placeholders so "price of
SOL" looks like "price of BTC". The model gives a probability per intent: below `ASK_BELOW` the
engine asks "Did you mean ...?" instead of acting, below `UNKNOWN_BELOW` it says it did not
understand. Accuracy on the separately written held-out set is measured by
`bench/phrase_accuracy.py` (figure in the README).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.conversation.parser_stats import KNOWN_BASES

PHRASES_DIR = Path(__file__).with_name("phrases")
TRAIN_PATH = PHRASES_DIR / "train.tsv"
HELDOUT_PATH = PHRASES_DIR / "heldout.tsv"
ASK_BELOW = 0.40
UNKNOWN_BELOW = 0.18
TYPO_CUTOFF = 75.0
_TOKEN = re.compile(r"[a-z0-9&']+|[$%#/]")
_COIN_NAMES = frozenset({"bitcoin", "ether", "ethereum", "solana", "ripple", "dogecoin", "litecoin"})
_COINS = frozenset(b.lower() for b in KNOWN_BASES) | _COIN_NAMES
COIN, NUMBER = "coin", "0"
NOT_UNDERSTOOD = "none"  # the phrase set's label for chit-chat Zyn should not act on


@dataclass(frozen=True)
class Guess:
    """The best intent (None = not understood), its probability and the runner-up."""

    intent: str | None
    confidence: float
    runner_up: str | None = None
    sure: bool = False


def load_phrases(path: Path) -> list[tuple[str, str]]:
    """(intent, phrasing) rows of a phrase file; `#` lines are comments."""
    rows: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        intent, _, text = line.partition("\t")
        if not text:
            raise ValueError(f"{path.name}: line without a tab: {line[:40]!r}")
        rows.append((intent.strip(), text.strip()))
    return rows


def _tokens(text: str) -> list[str]:
    low = text.lower().replace("’", "'")
    out: list[str] = []
    for raw in _TOKEN.findall(low.replace("/", " / ")):
        if raw in _COINS:
            out.append(COIN)
        elif raw.replace(".", "").isdigit():
            out.append(NUMBER)
        else:
            out.append(raw)
    return out


class IntentClassifier:
    """Trained once at construction (a few hundred phrasings: tens of milliseconds)."""

    def __init__(self, phrases: Sequence[tuple[str, str]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: sklearn loads only when used
        from sklearn.linear_model import LogisticRegression  # lazy: sklearn loads only when used
        from sklearn.pipeline import FeatureUnion, make_pipeline  # lazy: sklearn loads only when used

        if not phrases:
            raise ValueError("no phrases to train on")
        self._vocab = sorted({t for _, text in phrases for t in _tokens(text) if len(t) > 2})
        self._known = frozenset(self._vocab)
        features = FeatureUnion(
            [
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+")),  # noqa: S106
            ]
        )
        self._model: Any = make_pipeline(features, LogisticRegression(C=50.0, solver="newton-cg", max_iter=500))
        self._model.fit([self.normalize(text) for _, text in phrases], [intent for intent, _ in phrases])

    @classmethod
    def from_file(cls, path: Path = TRAIN_PATH) -> IntentClassifier:
        return cls(load_phrases(path))

    def normalize(self, text: str) -> str:
        """Lower-case tokens, coins and numbers as placeholders, unknown words snapped to the
        nearest training word when close enough (rapidfuzz ratio >= TYPO_CUTOFF)."""
        out: list[str] = []
        for token in _tokens(text):
            if len(token) > 3 and token not in (COIN, NUMBER) and token not in self._known:
                match = process.extractOne(token, self._vocab, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
                if match is not None:
                    token = match[0]
            out.append(token)
        return " ".join(out)

    def classify(self, text: str) -> Guess:
        normalized = self.normalize(text)
        if not normalized.strip():
            return Guess(None, 0.0)
        probs = self._model.predict_proba([normalized])[0]
        ranked = sorted(zip(probs, self._model.classes_, strict=True), reverse=True)
        (best_p, best), (_, second) = ranked[0], ranked[1]
        p = float(best_p)
        if p < UNKNOWN_BELOW or best == NOT_UNDERSTOOD:
            return Guess(None, p, str(second if best == NOT_UNDERSTOOD else best))
        return Guess(str(best), p, str(second), sure=p >= ASK_BELOW)
