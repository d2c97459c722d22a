"""Held-out accuracy of the offline intent classifier (bot/conversation/intents.py).

Trains on bot/conversation/phrases/train.tsv only and classifies every phrasing of bot/conversation/phrases/heldout.tsv
(written separately, never trained on). Prints the accuracy, how many the engine would have
asked about ("Did you mean ...?") instead of acting, and each miss.

    .venv/bin/python bench/phrase_accuracy.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.conversation.intents import HELDOUT_PATH, TRAIN_PATH, IntentClassifier, load_phrases  # noqa: E402


def measure() -> dict[str, object]:
    train, heldout = load_phrases(TRAIN_PATH), load_phrases(HELDOUT_PATH)
    started = time.perf_counter()
    clf = IntentClassifier(train)
    train_s = time.perf_counter() - started
    correct = asked = 0
    misses: list[str] = []
    for intent, text in heldout:
        guess = clf.classify(text)
        if guess.intent == intent:
            correct += 1
            asked += 0 if guess.sure else 1
        else:
            misses.append(f"{text!r}: expected {intent}, got {guess.intent} ({guess.confidence:.2f})")
    return {
        "train": len(train),
        "heldout": len(heldout),
        "correct": correct,
        "accuracy": correct / len(heldout),
        "correct_but_asked": asked,
        "train_seconds": round(train_s, 3),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    result = measure()
    if parser.parse_args().json:
        print(json.dumps(result))
        return
    print(
        f"phrases: {result['train']} train, {result['heldout']} held-out; "
        f"held-out accuracy {result['accuracy']:.1%} ({result['correct']}/{result['heldout']}); "
        f"{result['correct_but_asked']} of the correct ones asked 'Did you mean' first; "
        f"import + training took {result['train_seconds']} s"
    )
    for miss in result["misses"]:  # type: ignore[attr-defined]
        print("  miss:", miss)


if __name__ == "__main__":
    main()
