"""The intent classifier built once and kept on disk, so no chat message waits for training.

Why: fitting the TF-IDF + logistic-regression pipeline on the phrase set takes 1.5-7.7 s on this
machine, and it used to happen on the first free-text message of every process (`zyn chat
"stauts"` paid it every time). The fitted classifier is saved with joblib as
`intents-<key>.joblib`, where the key hashes everything the fitted model
depends on: the training phrases, the code that turns text into features (`bot/conversation/intents.py`),
and the scikit-learn, joblib and Python versions. Because the key says exactly what is inside,
one per-user cache folder serves every install and process (`$XDG_CACHE_HOME/zyn`, else
`~/.cache/zyn`, else `var/`): a second `zyn run` or the test suite's many processes load it
instead of training again. A missing or stale file is rebuilt (other keys' files are removed
after a month unused); an unreadable, corrupt or foreign file is logged and rebuilt, never
trusted. joblib files are pickles, so a file is loaded only when this user owns it and nobody
else can write it (like ssh's rules for its keys); it is written 0600 and replaced atomically.
`zyn run` warms the model in a background thread at start (`IntentModel.warm`). The cached
classifier holds numpy arrays only (issue 20.5): loading it imports neither scikit-learn nor scipy.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from loguru import logger

from bot.conversation.intents import TRAIN_PATH, IntentClassifier, load_phrases

STALE_AFTER_S = 30 * 86_400  # another key's file unused this long is removed (another install may use it)
PREFIX = "intents-"
SUFFIX = ".joblib"
_CODE = Path(__file__).with_name("intents.py")


def cache_key(train_path: Path = TRAIN_PATH) -> str:
    """16 hex digits that change whenever the fitted model could differ."""

    digest = hashlib.sha256()
    for part in (train_path.read_bytes(), _CODE.read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    # the installed versions from their metadata: importing scikit-learn here would load it (and
    # scipy, ~60 MB) into every process that only loads the fitted weights (issue 20.5)
    versions = " ".join(f"{name} {version(name)}" for name in ("scikit-learn", "joblib", "numpy"))
    digest.update(f"{versions} py {sys.version_info[:2]}".encode())
    return digest.hexdigest()[:16]


def default_cache_dir(cache_home: str = "") -> Path:
    """`$XDG_CACHE_HOME/zyn` (`cache_home`, from settings), else `~/.cache/zyn`, else `var/`
    (no home, e.g. a bare service)."""
    base = cache_home.strip()
    if base:
        return Path(base) / "zyn"
    try:
        return Path.home() / ".cache" / "zyn"
    except RuntimeError:
        return Path("var")


def _train(train_path: Path) -> IntentClassifier:
    return IntentClassifier(load_phrases(train_path))


class IntentModel:
    """Loads the classifier from the cache, else trains it and writes the cache; thread-safe,
    and the work happens once per process whoever asks first (`get`) or in the background
    (`warm`). `origin` says how it came: "cache" or "trained"."""

    def __init__(
        self,
        cache_dir: Path | None,
        train_path: Path = TRAIN_PATH,
        train: Callable[[Path], IntentClassifier] = _train,
    ) -> None:
        self._dir, self._train_path, self._train = cache_dir, train_path, train
        self._lock = threading.Lock()
        self._model: IntentClassifier | None = None
        self.origin = ""

    @property
    def path(self) -> Path | None:
        return None if self._dir is None else self._dir / f"{PREFIX}{cache_key(self._train_path)}{SUFFIX}"

    def ready(self) -> bool:
        return self._model is not None

    def get(self) -> IntentClassifier:
        with self._lock:
            if self._model is None:
                self._model = self._load_or_build()
            return self._model

    def warm(self) -> threading.Thread:
        """Build or load it now in a daemon thread (zyn run's start), so chat never waits."""
        thread = threading.Thread(target=self._warm, name="zyn-intents", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        try:
            self.get()
        except Exception:  # the first message will try again and answer the error itself
            logger.bind(step="intents").exception("could not prepare the intent classifier")

    def _load_or_build(self) -> IntentClassifier:
        path = self.path
        if path is not None and path.exists():
            model = self._load(path)
            if model is not None:
                self.origin = "cache"
                logger.bind(path=str(path)).info("intent classifier loaded from cache")
                return model
        model = self._train(self._train_path)
        self.origin = "trained"
        if path is not None:
            self._save(model, path)
        return model

    def _load(self, path: Path) -> IntentClassifier | None:
        import joblib  # lazy: joblib loads only when used

        why = _unsafe(path)
        if why:
            logger.bind(path=str(path)).warning("intent classifier cache not trusted ({}): rebuilding", why)
            return None
        try:
            model = joblib.load(path)
            if not isinstance(model, IntentClassifier) or model.classify("status").intent != "status":
                raise TypeError(f"not a working {IntentClassifier.__name__}")
        except Exception as exc:  # corrupt, truncated, another version's pickle: rebuild it
            logger.bind(path=str(path)).warning("intent classifier cache unreadable ({}): rebuilding",
                                                f"{type(exc).__name__}: {str(exc)[:120]}")
            return None
        return model

    def _save(self, model: IntentClassifier, path: Path) -> None:
        import joblib  # lazy: joblib loads only when used

        tmp = ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=PREFIX, suffix=".tmp", dir=path.parent)  # mode 0600
            with os.fdopen(fd, "wb") as fh:
                joblib.dump(model, fh)
            os.replace(tmp, path)
            tmp = ""
            logger.bind(path=str(path)).info("intent classifier trained and cached")
            _remove_stale(path)
        except OSError as exc:  # a read-only var/: keep the model in memory, train again next time
            logger.bind(path=str(path)).warning("intent classifier cache not written: {}", exc.strerror or exc)
        finally:
            if tmp:
                Path(tmp).unlink(missing_ok=True)


def _remove_stale(current: Path) -> None:
    """Other keys' files (older phrase sets or versions) unused for a month."""
    for old in current.parent.glob(f"{PREFIX}*{SUFFIX}"):
        try:
            if old != current and time.time() - old.stat().st_mtime > STALE_AFTER_S:
                old.unlink(missing_ok=True)
        except OSError:  # another process removed it first
            continue


def _unsafe(path: Path) -> str:
    """Why a cache file must not be unpickled ('' when it may)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "owned by another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable by others"
    return ""
