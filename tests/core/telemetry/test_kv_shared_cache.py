"""The owner's settings are held in memory, yet a change by any writer is seen by the next read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore


def _store(path: Path) -> KeyValueStore:
    return KeyValueStore(make_engine(f"sqlite:///{path}"))


def test_a_setting_read_twice_is_served_from_memory(tmp_path: Path) -> None:
    kv = _store(tmp_path / "z.db")
    kv.set_json("settings:risk", {"risk": "1"})
    reads: list[str] = []
    real_read = kv._read  # noqa: SLF001 - count the table reads behind the cache

    def counting(key: str) -> str | None:
        reads.append(key)
        return real_read(key)

    kv._read = counting  # type: ignore[method-assign]  # noqa: SLF001
    for _ in range(5):
        assert kv.get_json("settings:risk") == {"risk": "1"}
    assert reads.count("settings:risk") == 1


def test_a_change_through_another_connection_is_seen_at_once(tmp_path: Path) -> None:
    owner, chat = _store(tmp_path / "z.db"), _store(tmp_path / "z.db")
    owner.set_json("settings:risk", {"risk": "1"})
    assert chat.get_json("settings:risk") == {"risk": "1"}
    chat.set_json("settings:risk", {"risk": "2"})
    assert owner.get_json("settings:risk") == {"risk": "2"}
    chat.delete("settings:risk")
    assert owner.get_json("settings:risk") is None


def test_a_change_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    db = tmp_path / "z.db"
    owner = _store(db)
    owner.set("pref:tz", "UTC")
    assert owner.get("pref:tz") == "UTC"
    code = ("from core.telemetry.db import make_engine; from core.telemetry.kv import KeyValueStore; "
            f"KeyValueStore(make_engine('sqlite:///{db}')).set('pref:tz', 'Europe/Paris')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])
    assert owner.get("pref:tz") == "Europe/Paris"


def test_other_keys_are_read_from_the_table_every_time(tmp_path: Path) -> None:
    owner, other = _store(tmp_path / "z.db"), _store(tmp_path / "z.db")
    owner.set("trading:paused", "no")
    assert owner.get("trading:paused") == "no"
    other.set("trading:paused", "yes")
    assert owner.get("trading:paused") == "yes"


def test_in_memory_databases_still_see_every_change() -> None:
    engine = make_engine("sqlite://")
    a, b = KeyValueStore(engine), KeyValueStore(engine)
    a.set("features:overrides", "{}")
    assert b.get("features:overrides") == "{}"
    a.set("features:overrides", '{"mtf": true}')
    assert b.get("features:overrides") == '{"mtf": true}'


def _counting_probe(kv: KeyValueStore) -> list[int]:
    """How often the change probe runs (it is the store's own object: counted, not replaced)."""
    probe = kv._shared._probe  # noqa: SLF001 - the probe behind the cache
    calls: list[int] = []
    real = probe.changed

    def counting() -> bool:
        calls.append(1)
        return real()

    probe.changed = counting  # type: ignore[method-assign]
    return calls


def test_one_change_probe_per_request_not_per_read(tmp_path: Path) -> None:
    kv = _store(tmp_path / "z.db")
    kv.set("pref:tz", "UTC")
    kv.set("settings:risk", "1")
    calls = _counting_probe(kv)
    with kv.request():
        for _ in range(10):
            assert kv.get("pref:tz") == "UTC"
            assert kv.get("settings:risk") == "1"
    assert len(calls) == 1
    for _ in range(3):  # outside a request: every read still checks
        kv.get("pref:tz")
    assert len(calls) == 4


def test_a_change_by_another_process_is_seen_by_the_next_request(tmp_path: Path) -> None:
    db = tmp_path / "z.db"
    owner = _store(db)
    owner.set("pref:tz", "UTC")
    with owner.request():
        assert owner.get("pref:tz") == "UTC"
    code = ("from core.telemetry.db import make_engine; from core.telemetry.kv import KeyValueStore; "
            f"KeyValueStore(make_engine('sqlite:///{db}')).set('pref:tz', 'Europe/Paris')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])
    with owner.request():
        assert owner.get("pref:tz") == "Europe/Paris"
        assert owner.get("pref:tz") == "Europe/Paris"


def test_a_write_inside_a_request_is_read_back_in_it(tmp_path: Path) -> None:
    owner, other = _store(tmp_path / "z.db"), _store(tmp_path / "z.db")
    owner.set("settings:risk", "1")
    with other.request():
        assert other.get("settings:risk") == "1"
        other.set("settings:risk", "2")  # this process's own write: the next read checks again
        assert other.get("settings:risk") == "2"
        with other.request():  # nested: the outer request's scope
            assert other.get("settings:risk") == "2"
    with owner.request():
        assert owner.get("settings:risk") == "2"
