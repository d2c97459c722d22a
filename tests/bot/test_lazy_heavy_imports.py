"""`zyn run`'s composition root loads no heavy library it does not need yet (issue 20.5):
matplotlib never (charts are drawn in a child process), the OpenAI SDK for a key, python-telegram-bot for a bot
token, and pyarrow for a replay big enough to need its reader; ccxt (every exchange class it
ships, ~45 MB), requests and websockets wait for Kraken, psycopg for a PostgreSQL URL, and
slack_bolt/slack_sdk for a Slack app, alembic (and mako) for a database behind the schema head. The web
app and the start-up checks are built too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "openai", "telegram", "pyarrow", "twilio.rest", "ccxt", "requests", "websockets", "psycopg",
         "slack_bolt", "slack_sdk", "alembic", "mako")

SCRIPT = """
import json, sys
from loguru import logger
logger.remove()
from adapters.web.app import create_web_app
from bot.cli.preflight import check_database
from bot.wiring.app import build_zyn
from core.config import load_settings
check_database("sqlite:///%(db)s")
zyn = build_zyn(load_settings({"DATABASE_URL": "sqlite:///%(db)s", "PAPER_FEED": "replay",
                               "PAPER_DATA": "%(data)s"}))
app = create_web_app(zyn)
assert app.test_client().post("/slack/events").status_code == 404  # the route exists: Slack not set up
print(json.dumps({name: name in sys.modules for name in %(heavy)r}))
zyn.close()
"""


def test_building_zyn_for_a_small_replay_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    data = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    rows = ["timestamp,open,high,low,close,volume"]
    rows += [f"{1_700_000_000_000 + i * 3_600_000},100,101,99,100.5,10" for i in range(60)]
    data.write_text("\n".join(rows) + "\n")
    code = SCRIPT % {"db": tmp_path / "z.db", "data": data, "heavy": HEAVY}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == dict.fromkeys(HEAVY, False)
