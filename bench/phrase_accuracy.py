"""Held-out accuracy of the offline conversation, and the safety count (issue 22 point 8).

Trains the intent classifier on bot/conversation/phrases/train.tsv only, then reports:

- held-out v2 (`heldout_v2.tsv`, written by someone who had not read the training set; hashes in
  bench/results/phrase_heldout_v2.md): for each phrasing the intent Zyn ACTS on, read the way
  the dispatcher reads it (`offline_engine.read`: the command grammar first, a usage line counts
  as that command, else the free-text classifier with the safety rule). Also the figure on the
  lines that do not appear word for word in train.tsv (bare command words like "status" are in both);
- the old held-out set (`heldout.tsv`): the classifier alone, as before, and the same reading;
- safety: over `safe_sentences.txt` (sentences that ask for no money-moving action), how many
  would make Zyn suggest or prepare buy, sell, flatten, cancel or close. Goal 0.

Label names: the held-out writer's labels are the classifier's intent names; parsed commands are
mapped to them by `offline_engine.COMMAND_INTENT` (e.g. `insights` -> learned, `pause_until` ->
pause, `sell_part` -> sell, `set` -> settings); `none` means "not understood" (intent None).

    .venv/bin/python bench/phrase_accuracy.py [--json] [--misses] [--extra PATH]

`--extra PATH` also scores another labelled file (intent<TAB>phrasing, e.g. a new held-out set) the
same way, reported as "extra".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.conversation.intents import (  # noqa: E402
    HELDOUT_PATH,
    NOT_UNDERSTOOD,
    PHRASES_DIR,
    TRAIN_PATH,
    IntentClassifier,
    load_phrases,
)
from bot.conversation.offline_engine import money_suggestion, read  # noqa: E402

HELDOUT_V2_PATH = PHRASES_DIR / "heldout_v2.tsv"
SAFE_PATH = PHRASES_DIR / "safe_sentences.txt"


def safe_sentences(path: Path = SAFE_PATH) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def _score(clf: IntentClassifier, rows: list[tuple[str, str]], known: set[str]) -> dict[str, object]:
    correct = asked = fresh = fresh_correct = 0
    misses: list[str] = []
    for label, text in rows:
        intent, sure = read(text, clf)
        expected = None if label == NOT_UNDERSTOOD else label
        ok = intent == expected
        new = text.strip().lower() not in known
        fresh += new
        if ok:
            correct += 1
            fresh_correct += new
            asked += 0 if sure or expected is None else 1
        else:
            misses.append(f"{text!r}: expected {label}, got {intent}")
    return {"lines": len(rows), "correct": correct, "accuracy": correct / len(rows),
            "correct_but_asked": asked, "fresh_lines": fresh, "fresh_correct": fresh_correct,
            "fresh_accuracy": fresh_correct / fresh if fresh else 0.0, "misses": misses}


def measure(extra: Path | None = None) -> dict[str, object]:
    train = load_phrases(TRAIN_PATH)
    known = {text.strip().lower() for _, text in train}
    started = time.perf_counter()
    clf = IntentClassifier(train)
    train_s = time.perf_counter() - started
    old = load_phrases(HELDOUT_PATH)
    old_classifier_only = sum(clf.classify(text).intent == (None if i == NOT_UNDERSTOOD else i) for i, text in old)
    safe = safe_sentences()
    flagged = [f"{text!r}: {why}" for text in safe if (why := money_suggestion(text, clf))]
    return {
        "train": len(train),
        "train_seconds": round(train_s, 3),
        "v2": _score(clf, load_phrases(HELDOUT_V2_PATH), known),
        "old": {**_score(clf, old, known), "classifier_only_accuracy": old_classifier_only / len(old)},
        **({"extra": _score(clf, load_phrases(extra), known)} if extra is not None else {}),
        "safe_sentences": len(safe),
        "money_suggestions": len(flagged),
        "flagged": flagged,
    }


def _line(name: str, r: dict[str, object]) -> str:
    return (f"{name}: {r['accuracy']:.1%} ({r['correct']}/{r['lines']}); on lines not word for word in "
            f"train.tsv {r['fresh_accuracy']:.1%} ({r['fresh_correct']}/{r['fresh_lines']}); "
            f"{r['correct_but_asked']} of the correct ones asked 'Did you mean' first")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument("--extra", type=Path, help="another labelled file to score the same way")
    args = parser.parse_args()
    result = measure(args.extra)
    if args.json:
        print(json.dumps(result))
        return
    v2, old = result["v2"], result["old"]
    assert isinstance(v2, dict) and isinstance(old, dict)
    print(f"phrases: {result['train']} train; training took {result['train_seconds']} s")
    print(_line("held-out v2", v2))
    print(_line("old held-out", old) + f"; classifier alone {old['classifier_only_accuracy']:.1%}")
    extra = result.get("extra")
    if isinstance(extra, dict):
        print(_line(f"extra ({args.extra})", extra))
    print(f"safety: {result['money_suggestions']} money-moving suggestions over {result['safe_sentences']} "
          "safe sentences")
    for line in result["flagged"]:  # type: ignore[attr-defined]
        print("  flagged:", line)
    if args.misses:
        for name, r in (("v2", v2), ("old", old), *((("extra", extra),) if isinstance(extra, dict) else ())):
            for miss in r["misses"]:
                print(f"  {name} miss:", miss)


if __name__ == "__main__":
    main()
