"""The stdio transport: `python -m server.cli serve` as a subprocess in an empty folder and a minimal
environment, driven by the SDK's client. The tools themselves are tested in process (test_mcp_tools.py)."""

from __future__ import annotations

import json
from pathlib import Path

from mcp import StdioServerParameters

from server.desk import Desk
from server.settings import Settings
from tests.mcp_session import CRM_TOOLS, READ_TOOLS, SAVING_TOOLS, connected, sample_calls, serve_command


def test_serves_every_tool_over_stdio(tmp_path: Path) -> None:
    command, args, env = serve_command(tmp_path)
    desk = Desk(Settings())
    with connected(StdioServerParameters(command=command, args=args, env=env, cwd=tmp_path)) as session:
        assert session.server_info.name == "expansion-desk"
        assert {t.name for t in session.list_tools().tools} == READ_TOOLS | SAVING_TOOLS | CRM_TOOLS
        for name, arguments in sample_calls(desk).items():
            result = session.call_tool(name, arguments)
            assert not result.is_error, (name, result.content)
            assert json.loads(result.content[1].text) == result.structured_content, name
    assert list((tmp_path / "data" / "expansion-desk").glob("*.sqlite3")), (
        "drafts go to the default store under XDG_DATA_HOME"
    )


def test_read_only_flag_hides_the_tools_that_write(tmp_path: Path) -> None:
    command, args, env = serve_command(tmp_path, "--read-only")
    with connected(StdioServerParameters(command=command, args=args, env=env, cwd=tmp_path)) as session:
        assert {t.name for t in session.list_tools().tools} == READ_TOOLS
