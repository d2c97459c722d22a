"""Text the model reads must not be able to silence safety alerts through a tool call."""

import pytest

from bot.agent.tools import ToolArgError, command_for


@pytest.mark.parametrize("value", ["kill_switch off", "all off", "error off", "circuit off", "stop_hit off"])
def test_agent_cannot_turn_safety_alerts_off(value: str) -> None:
    with pytest.raises(ToolArgError, match="only be turned off by the owner"):
        command_for("set_preference", f'{{"name": "alerts", "value": "{value}"}}')


def test_agent_may_still_change_harmless_preferences() -> None:
    assert command_for("set_preference", '{"name": "alerts", "value": "trade_opened off"}') == (
        "set alerts trade_opened off")
    assert command_for("set_preference", '{"name": "report_time", "value": "21:00"}') == "set report_time 21:00"
