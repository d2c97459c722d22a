"""Issue 20.5: the intent classifier scores with numpy alone, and decides exactly as the fitted
scikit-learn pipeline would, on every line of every phrase file (training, held-out, held-out
v2, the safe sentences); and a loaded classifier does not import scikit-learn or scipy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.conversation.intents import (
    ASK_BELOW,
    HELDOUT_PATH,
    NOT_UNDERSTOOD,
    PHRASES_DIR,
    TRAIN_PATH,
    UNKNOWN_BELOW,
    Guess,
    IntentClassifier,
    load_phrases,
)

ROOT = Path(__file__).resolve().parents[3]


def _every_line() -> list[str]:
    texts = [text for path in (TRAIN_PATH, HELDOUT_PATH, PHRASES_DIR / "heldout_v2.tsv")
             for _, text in load_phrases(path)]
    safe = PHRASES_DIR / "safe_sentences.txt"
    texts += [line.strip() for line in safe.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    return texts + ["", "   ", "BTC", "12.5", "stauts", "kill swich", "what's the price of SOL/USD?"]


def _sklearn_guess(pipeline: Any, clf: IntentClassifier, text: str) -> tuple[Guess, np.ndarray]:
    """`classify` as it was when scikit-learn scored (the rules copied from intents.py)."""
    normalized = clf.normalize(text)
    if not normalized.strip():
        return Guess(None, 0.0), np.zeros(0)
    probs = pipeline.predict_proba([normalized])[0]
    ranked = sorted(zip(probs, pipeline.classes_, strict=True), reverse=True)
    (best_p, best), (_, second) = ranked[0], ranked[1]
    p = float(best_p)
    if p < UNKNOWN_BELOW or best == NOT_UNDERSTOOD:
        return Guess(None, p, str(second if best == NOT_UNDERSTOOD else best)), probs
    return Guess(str(best), p, str(second), sure=p >= ASK_BELOW), probs


def test_numpy_scores_equal_scikit_learn_on_every_phrase_line(intent_classifier: IntentClassifier) -> None:
    pipeline = intent_classifier.fit_pipeline(load_phrases(TRAIN_PATH))  # the same fit, kept this time
    assert tuple(pipeline.classes_) == intent_classifier.classes
    lines = _every_line()
    assert len(lines) > 1000
    worst = 0.0
    for text in lines:
        want, probs = _sklearn_guess(pipeline, intent_classifier, text)
        got = intent_classifier.classify(text)
        assert (got.intent, got.runner_up, got.sure) == (want.intent, want.runner_up, want.sure), text
        assert got.confidence == pytest.approx(want.confidence, abs=1e-12), text
        if len(probs):
            mine = intent_classifier.probabilities(intent_classifier.normalize(text))
            worst = max(worst, float(np.max(np.abs(mine - probs))))
    assert worst < 1e-12


def test_a_classifier_in_use_needs_neither_scikit_learn_nor_scipy(tmp_path: Path) -> None:
    """Trained (and cached) by one process; the next loads it and classifies without them."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from bot.conversation.intent_cache import IntentModel\n"
        f"model = IntentModel(Path({str(tmp_path)!r}))\n"
        "guess = model.get().classify('stauts')\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy') if m in sys.modules)\n"
        "print(model.origin, guess.intent, heavy)\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert first.stdout.split()[:2] == ["trained", "status"], first.stderr
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert second.stdout.strip() == "cache status []", second.stderr


def test_two_intents_score_as_scikit_learn_s_binary_model() -> None:
    """With two classes scikit-learn keeps one weight row (a sigmoid); the export is its softmax twin."""
    phrases = [(i, t) for i, t in load_phrases(TRAIN_PATH) if i in ("status", "help")]
    clf = IntentClassifier(phrases)
    pipeline = clf.fit_pipeline(phrases)
    for text in [t for _, t in load_phrases(HELDOUT_PATH)] + ["stauts", "what can you do"]:
        normalized = clf.normalize(text)
        if normalized.strip():
            want = pipeline.predict_proba([normalized])[0]
            assert np.max(np.abs(clf.probabilities(normalized) - want)) < 1e-12, text
