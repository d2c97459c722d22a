"""The settings loader: reads `.env` and the environment once, composes every settings block.

Why one place: commands used to read variables on their own, so `.env` reached `zyn run` but
not `zyn backtest`. `zyn`'s entry point (`bot.cli.main`) now calls `read_environment()` once and
hands the parsed `ZynSettings` to the command it runs and to the composition root; nothing else
reads the process environment (a test scans the tree for it).

Reading is done by pydantic-settings (its dotenv and environment sources: the environment wins
over `.env`, as before); parsing stays the pure, tested `core.config.load_settings` (core's
fields, one-line `UserError`s) plus each channel adapter's own block
(`adapters.channels.settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, SettingsConfigDict

from adapters.channels.settings import ChannelSettings
from core.config import Settings
from core.config import load_settings as load_core_settings

ENV_FILE = ".env"


@dataclass(frozen=True)
class ZynSettings(Settings):
    """Core's settings plus the channel adapters' blocks: what the composition root receives."""

    channels: ChannelSettings = field(default_factory=ChannelSettings)


class _Variables(BaseSettings):
    """No fields of its own: the sources below hand back every variable they find, by exact name."""

    model_config = SettingsConfigDict(case_sensitive=True, env_file=ENV_FILE, extra="ignore")


def read_environment(env_file: str | Path = ENV_FILE) -> dict[str, str]:
    """The environment over `.env` (the environment wins), as one plain mapping."""
    out: dict[str, str] = {}
    if Path(env_file).is_file():
        dotenv = DotEnvSettingsSource(_Variables, env_file=env_file, case_sensitive=True)
        out.update({k: v for k, v in dotenv.env_vars.items() if v is not None})
    environ = EnvSettingsSource(_Variables, case_sensitive=True)
    out.update({k: v for k, v in environ.env_vars.items() if v is not None})
    return out


def load_settings(env: Mapping[str, str]) -> ZynSettings:
    """Core's `load_settings(env)` (same checks, same one-line errors) plus the channel blocks."""
    core = load_core_settings(env)
    values = {f.name: getattr(core, f.name) for f in fields(core)}
    return ZynSettings(**values, channels=ChannelSettings.from_env(env))


def with_channels(settings: Settings) -> ZynSettings:
    """A plain core `Settings` (tests, benchmarks) as `ZynSettings` with no channel configured."""
    if isinstance(settings, ZynSettings):
        return settings
    return ZynSettings(**{f.name: getattr(settings, f.name) for f in fields(settings)})

