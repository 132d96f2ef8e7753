"""Zendesk Support as the ticket source: the tickets of the organization that stands for an account.

The organization comes from `organization_ids`, else (opt-in, `lookup_external_id`) from the
organization whose external_id is the account id, compared case-insensitively as Zendesk does.
Organization search is allowed only for admins and Enterprise custom roles that may add or modify
organizations, so it is off by default. No match is an error, never "no tickets".
A ticket without a priority counts as P4: Zendesk leaves priority empty on routine requests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, Literal

import httpx

from connectors.config import HttpConfig, ZendeskConfig, build_record, env_secret, mapped
from connectors.errors import SourceError
from connectors.http import ApiClient, ApiError, Json, Request, Sleep, bearer, dig, items
from skills.snapshot import Account, Ticket

PRIORITIES: dict[str, Literal["P1", "P2", "P3", "P4"]] = {
    "urgent": "P1",
    "high": "P2",
    "normal": "P3",
    "low": "P4",
    "": "P4",
}
STATUSES: dict[str, Literal["open", "pending", "solved", "closed"]] = {
    "new": "open", "open": "open", "hold": "open", "pending": "pending", "solved": "solved", "closed": "closed",
}  # fmt: skip
PAGE_SIZE = 100
SEARCH_PERMISSION = (
    "organization search (lookup_external_id) needs a Zendesk admin, or an agent in an Enterprise custom role "
    "with permission to add or modify organizations"
)


def _next_page(request: Request, body: Json) -> Request | None:
    """Cursor pages say `meta.has_more` and give `links.next`; offset pages give `next_page` (null at the end)."""
    if isinstance(dig(body, "meta"), dict):
        url = dig(body, "links", "next") if dig(body, "meta", "has_more") else None
    else:
        url = dig(body, "next_page")
    return Request("GET", url) if isinstance(url, str) and url else None


class Zendesk:
    name = "zendesk"

    def __init__(
        self,
        config: ZendeskConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        headers: dict[str, str] = {}
        auth: httpx.Auth | None = None
        if config.bearer_env:
            headers = bearer(config.bearer_env, self.name, environ)
            what = f"{config.bearer_env} holds a valid OAuth token"
        else:
            email = env_secret(config.email_env, self.name, environ).get_secret_value()
            auth = httpx.BasicAuth(
                f"{email}/token", env_secret(config.token_env, self.name, environ).get_secret_value()
            )
            what = f"{config.email_env} is an agent's email and {config.token_env} an active API token"
        self.api = ApiClient(
            self.name, config.url, http, headers=headers, auth=auth, sleep=sleep,
            on_401=f"check that {what} (Admin Center > Apps and integrations > Zendesk API)",
            on_403="the user needs agent access that can read the organization's tickets",
        )  # fmt: skip

    def check(self) -> str:
        self.api.send(Request("GET", "/api/v2/tickets.json", {"page[size]": 1}))
        return f"tickets readable at {self.config.url}"

    def tickets(self, account: Account) -> list[Ticket]:
        org_id = self.organization_id(account.account_id)
        first = Request("GET", f"/api/v2/organizations/{org_id}/tickets.json", {"page[size]": PAGE_SIZE})
        return [
            self._ticket(account.account_id, t)
            for page in self.api.pages(first, _next_page)
            for t in items(self.name, page, "tickets")
        ]

    def organization_id(self, account_id: str) -> int:
        if account_id in self.config.organization_ids:
            return self.config.organization_ids[account_id]
        if not self.config.lookup_external_id:
            raise SourceError(
                self.name,
                f"no organization for account {account_id} in organization_ids; map it there, or set "
                f"lookup_external_id = true ({SEARCH_PERMISSION})",
            )
        request = Request("GET", "/api/v2/organizations/search.json", {"external_id": account_id})
        try:
            body = self.api.send(request)
        except ApiError as exc:
            if exc.status == 403:
                raise SourceError(self.name, f"HTTP 403 on organization search: {SEARCH_PERMISSION}") from None
            raise
        wanted = account_id.casefold()
        found = [
            o for o in items(self.name, body, "organizations") if str(o.get("external_id") or "").casefold() == wanted
        ]
        if len(found) != 1:
            raise SourceError(
                self.name,
                f"{len(found) or 'no'} organizations have external_id {account_id!r}; "
                "set that external_id on one organization, or map the account in organization_ids",
            )
        return int(found[0]["id"])

    def close(self) -> None:
        self.api.close()

    def _ticket(self, account_id: str, ticket: dict[str, Any]) -> Ticket:
        ticket_id = str(ticket.get("id"))
        fixed = {
            "ticket_id": ticket_id, "account_id": account_id,
            "priority": mapped(PRIORITIES, ticket.get("priority"), source=self.name, what=f"ticket {ticket_id} priority"),
            "status": mapped(STATUSES, ticket.get("status"), source=self.name, what=f"ticket {ticket_id} status"),
        }  # fmt: skip
        fields = {"opened_at": "created_at", "subject": "subject"}
        return build_record(Ticket, self.name, f"ticket {ticket_id}", fixed, fields, ticket.get)
