"""The Agent Skill documents: valid front matter, short bodies, and only tools the server has."""

from __future__ import annotations

import asyncio
import re
from importlib import resources
from pathlib import Path

import pytest
from mcp.server import MCPServer

from server.desk import Desk
from server.mcp.resources import SKILLS
from server.mcp.server import build_server
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = {"expansion-desk": ROOT / "SKILL.md"} | {name: ROOT / "skills" / name / "SKILL.md" for name in SKILLS}
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CALL = re.compile(r"`([a-z_]+)\(")  # a tool named as a call: `score_account(account_id)`


def front_matter(text: str) -> tuple[dict[str, str], list[str]]:
    """`key: value` lines between the opening `---` fences, and the body lines after them."""
    lines = text.splitlines()
    assert lines[0] == "---", "SKILL.md must open with YAML front matter"
    end = lines.index("---", 1)
    fields = dict(line.split(": ", 1) for line in lines[1:end])
    return fields, lines[end + 1 :]


@pytest.fixture(scope="module")
def server() -> MCPServer:
    return build_server(Desk(Settings()))


@pytest.fixture(scope="module")
def tool_names(server: MCPServer) -> set[str]:
    return {t.name for t in asyncio.run(server.list_tools())}


@pytest.mark.parametrize("name", DOCS)
def test_front_matter_is_a_valid_agent_skill(name: str) -> None:
    fields, body = front_matter(DOCS[name].read_text(encoding="utf-8"))
    assert set(fields) == {"name", "description"}
    assert fields["name"] == name and NAME.match(name) and len(name) <= 64
    description = fields["description"]
    assert 100 <= len(description) <= 1024
    assert "<" not in description and ">" not in description
    assert ": " not in description and " #" not in description and description[0].isalpha(), "plain YAML scalar"
    assert "Use when" in description or "Use for" in description
    assert len(body) < 500


@pytest.mark.parametrize("name", DOCS)
def test_names_only_tools_the_server_has(name: str, tool_names: set[str]) -> None:
    named = set(CALL.findall(DOCS[name].read_text(encoding="utf-8")))
    assert named <= tool_names, named - tool_names


def test_root_skill_teaches_every_tool_prompt_and_rule(server: MCPServer, tool_names: set[str]) -> None:
    text = DOCS["expansion-desk"].read_text(encoding="utf-8")
    assert all(f"`{tool}(" in text for tool in tool_names)
    assert all(f"`{prompt.name}`" in text for prompt in asyncio.run(server.list_prompts()))
    for rule in (
        "Readiness gate first",
        "One offer per account",
        "Per usage:",
        "Numbers only from tools",
        "CSM review",
    ):
        assert rule in text, rule


@pytest.mark.parametrize("folder", SKILLS)
def test_skill_docs_ship_in_the_package(folder: str) -> None:
    assert (resources.files("skills") / folder / "SKILL.md").is_file()
