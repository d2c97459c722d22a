"""Alembic revisions of Zyn's schema (`versions/`); `core.telemetry.schema` runs them on start."""
