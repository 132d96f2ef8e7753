"""Resources: each skill's SKILL.md, and one account's snapshot as JSON."""

from importlib import resources

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import TextResource

from connectors.errors import UnknownAccountError
from server.mcp.access import DeskAccess

SKILLS = {
    "proposal": "Proposal builder: assemble usage, value, benchmark and pricing evidence into the fixed proposal.",
    "discovery": "Expansion discovery: readiness gate, signals, problem-first discovery call, brief and ROI.",
    "playbook": "Account expansion playbook: readiness score, one offer, trigger, scripts, 90-day calendar.",
    "renewal": "Renewal expansion plan: account picture, signals, plays and the pre-renewal timeline.",
    "usage": "Reading usage signals: utilisation, credential sharing, organic spread, gate hits, regions.",
}


def register(server: MCPServer, access: DeskAccess) -> None:
    for folder, description in SKILLS.items():
        text = (resources.files("skills") / folder / "SKILL.md").read_text(encoding="utf-8")
        server.add_resource(
            TextResource(
                uri=f"skill://{folder}", name=folder, description=description, mime_type="text/markdown", text=text
            )
        )

    @server.resource("account://{account_id}", name="account", mime_type="application/json")
    def account_snapshot(account_id: str) -> str:
        """Everything the desk holds on one account at the default day (the AccountSnapshot JSON):
        CRM record, contacts, deals, tickets, interactions, outcomes and aggregated usage."""
        try:
            return access.run(lambda d: d.snapshot(account_id)).model_dump_json(indent=2)
        except ToolError as exc:
            unknown = isinstance(exc.__cause__, UnknownAccountError)
            raise (ResourceNotFoundError if unknown else ResourceError)(str(exc)) from exc
