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

import numpy as np
from rapidfuzz import fuzz, process

from bot.conversation.parser_stats import KNOWN_BASES

PHRASES_DIR = Path(__file__).with_name("phrases")
TRAIN_PATH = PHRASES_DIR / "train.tsv"
HELDOUT_PATH = PHRASES_DIR / "heldout.tsv"
ASK_BELOW = 0.40
UNKNOWN_BELOW = 0.18
TYPO_CUTOFF = 75.0
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's own, before char n-grams
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


# text-speak jimmy types on a phone ("y did u buy eth", "wat r my positions rn")
SHORTHAND = {"u": "you", "r": "are", "y": "why", "ur": "your", "wat": "what", "wats": "whats", "wot": "what",
             "pls": "please", "plz": "please", "rn": "now", "hw": "how", "wk": "week", "tmrw": "tomorrow",
             "bc": "because", "cuz": "because", "im": "i'm", "ive": "i've", "dont": "don't", "whts": "whats",
             "hows": "how's", "thx": "thanks", "abt": "about", "yday": "yesterday", "2day": "today"}


def _tokens(text: str) -> list[str]:
    low = text.lower().replace("’", "'")
    out: list[str] = []
    for raw in _TOKEN.findall(low.replace("/", " / ")):
        raw = SHORTHAND.get(raw, raw)
        if raw in _COINS:
            out.append(COIN)
        elif raw.replace(".", "").isdigit():
            out.append(NUMBER)
        else:
            out.append(raw)
    return out


class _Tfidf:
    """One fitted TF-IDF vectorizer as plain data: n-gram -> column, idf per column, l2 rows.

    Why not the scikit-learn object: at run time scikit-learn and scipy cost ~60 MB of every
    `zyn run` (issue 20.5) for a dot product over a few dozen n-grams; they are needed only to fit."""

    def __init__(self, vectorizer: Any) -> None:
        self.char = vectorizer.analyzer == "char_wb"
        self.low, self.high = vectorizer.ngram_range
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.pattern = re.compile(vectorizer.token_pattern)
        self.vocab: dict[str, int] = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        if vectorizer.norm != "l2" or not vectorizer.lowercase or vectorizer.strip_accents or vectorizer.stop_words:
            raise ValueError("only the l2, lower-cased, no-stop-word TF-IDF is exported")

    def grams(self, text: str) -> list[str]:
        """scikit-learn's `char_wb` / word n-grams of the (lower-cased) text, same order of rules."""
        text = text.lower()
        out: list[str] = []
        if self.char:
            for w in _WHITE_SPACES.sub(" ", text).split():
                w = f" {w} "
                for n in range(self.low, self.high + 1):
                    out.extend(w[i:i + n] for i in range(max(1, len(w) - n + 1)))
                    if len(w) <= n:  # a short word counts once
                        break
            return out
        tokens = self.pattern.findall(text)
        for n in range(self.low, min(self.high, len(tokens)) + 1):
            out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return out

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the text's l2-normalised TF-IDF row; unknown n-grams are dropped."""
        counts: dict[int, int] = {}
        for gram in self.grams(text):
            col = self.vocab.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[cols]
        norm = float(np.sqrt(np.dot(values, values)))
        return cols, values / norm if norm > 0 else values


class IntentClassifier:
    """Fitted once at construction with scikit-learn (a few hundred phrasings: tens of
    milliseconds), then scored with numpy alone (issue 20.5): the fitted TF-IDF vocabularies and
    the logistic regression's weights are kept as arrays, the scikit-learn objects dropped. The
    probabilities equal `predict_proba`'s (tests/bot/conversation/test_intent_scorer.py checks
    every line of every phrase file)."""

    def __init__(self, phrases: Sequence[tuple[str, str]]) -> None:
        if not phrases:
            raise ValueError("no phrases to train on")
        self._vocab = sorted({t for _, text in phrases for t in _tokens(text) if len(t) > 2})
        self._known = frozenset(self._vocab)
        pipeline = self.fit_pipeline(phrases)
        union, logistic = pipeline.steps[0][1], pipeline.steps[-1][1]
        self._parts = [_Tfidf(vec) for _, vec in union.transformer_list]
        self._offsets = np.cumsum([0] + [len(p.idf) for p in self._parts[:-1]])
        coef = np.asarray(logistic.coef_, dtype=np.float64)
        intercept = np.asarray(logistic.intercept_, dtype=np.float64)
        if coef.shape[0] == 1 < len(logistic.classes_):  # two classes: P(second) = sigmoid(z) = softmax([0, z])
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        self._coef_t = np.ascontiguousarray(coef.T)  # columns x classes
        self._intercept = intercept
        self.classes: tuple[str, ...] = tuple(str(c) for c in logistic.classes_)

    def fit_pipeline(self, phrases: Sequence[tuple[str, str]]) -> Any:
        """The scikit-learn pipeline fitted on `phrases` (normalised as at scoring time)."""
        from sklearn.feature_extraction.text import (
            TfidfVectorizer,  # lazy: scikit-learn only when the classifier is fitted
        )
        from sklearn.linear_model import LogisticRegression  # lazy: as above
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion(
            [
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+")),  # noqa: S106
            ]
        )
        model = make_pipeline(features, LogisticRegression(C=50.0, solver="newton-cg", max_iter=500))
        model.fit([self.normalize(text) for _, text in phrases], [intent for intent, _ in phrases])
        return model

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

    def probabilities(self, normalized: str) -> np.ndarray:
        """P(intent) per class (order of `classes`) of an already normalised text: the softmax of
        the weights over the text's TF-IDF row, as the multinomial `predict_proba` computes it."""
        logits = self._intercept.copy()
        for part, offset in zip(self._parts, self._offsets, strict=True):
            cols, values = part.row(normalized)
            if len(cols):
                logits += values @ self._coef_t[cols + offset]
        logits -= logits.max()
        exp = np.exp(logits)
        probs: np.ndarray = exp / exp.sum()
        return probs

    def classify(self, text: str) -> Guess:
        normalized = self.normalize(text)
        if not normalized.strip():
            return Guess(None, 0.0)
        probs = self.probabilities(normalized)
        ranked = sorted(zip(probs, self.classes, strict=True), reverse=True)
        (best_p, best), (_, second) = ranked[0], ranked[1]
        p = float(best_p)
        if p < UNKNOWN_BELOW or best == NOT_UNDERSTOOD:
            return Guess(None, p, str(second if best == NOT_UNDERSTOOD else best))
        return Guess(str(best), p, str(second), sure=p >= ASK_BELOW)
