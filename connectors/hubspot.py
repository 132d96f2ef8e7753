"""HubSpot as the CRM and/or ticket source: a company is an account (its id is the account id).

Reads CRM v3 objects and v4 associations. Every property value arrives as a string; mapping to the
SPEC records happens in `CrmMapping`, which fails loudly on a missing required property.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from connectors.config import Getter, HttpConfig, HubSpotConfig, build_record, mapped
from connectors.errors import UnknownAccountError
from connectors.http import ApiClient, Json, Pacer, Request, Sleep, bearer, dig, items
from connectors.source import id_then_search
from skills.snapshot import Account, Contact, Deal, Ticket

SCOPES = "crm.objects.companies.read, crm.objects.contacts.read, crm.objects.deals.read, tickets"
DEAL_PROPERTIES = ("dealname", "amount", "dealstage", "dealtype", "closedate")
TICKET_PROPERTIES = ("subject", "hs_pipeline_stage", "hs_ticket_priority", "createdate")
BATCH_SIZE = 100
SEARCH_PAGE = 200
"""The most a search page may hold (PublicObjectSearchRequest.limit: "up to 200 objects")."""
SEARCH_CAP = 10_000
"""Search returns at most 10,000 results per query; paging past them is a 400. The connector narrows
the query (ids above the last one read, sorted by id) before it gets there."""
SEARCH_PER_SECOND = 4.0
"""Search is rate-limited per token (4 requests/s in HubSpot's changelog; 5/s per account in the
current guide): the connector stays at or under the stricter figure."""
ASSOCIATIONS_PAGE = 500
ID = "hs_object_id"


def _next_after(request: Request, body: Json) -> Request | None:
    """HubSpot pages carry `paging.next.after` except the last; search pages in the body, lists in the query."""
    after = dig(body, "paging", "next", "after")
    if after is None:
        return None
    return request.with_body(after=str(after)) if request.method == "POST" else request.with_params(after=str(after))


class HubSpot:
    name = "hubspot"

    def __init__(
        self,
        config: HubSpotConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._search_pace = Pacer(SEARCH_PER_SECOND, sleep, clock)
        self.api = ApiClient(
            self.name, config.base_url, http, headers=bearer(config.token_env, self.name, environ),
            on_401=f"check that {config.token_env} holds a valid private-app access token (pat-…)",
            on_403=f"the private app needs the read scopes {SCOPES}",
            sleep=sleep,
        )  # fmt: skip
        self._company_properties = sorted({p for p in config.account_fields.values() if p})

    def check(self) -> str:
        """One search for a single company: proves the token, the scope and the search endpoint."""
        body = {"filterGroups": [], "properties": ["name"], "limit": 1, "sorts": [ID], "after": "0"}
        self._search_pace.wait()
        self.api.send(Request("POST", "/crm/v3/objects/companies/search", body=body))
        return f"companies searchable at {self.config.base_url}"

    def accounts(self) -> list[Account]:
        return [self._account(c) for c in self._search([])]

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        return id_then_search(query, query.strip().isdigit(), self.account, self._matches, limit)

    def account(self, account_id: str) -> Account:
        if not account_id.isdigit():
            raise self._unknown(account_id)
        request = Request(
            "GET", f"/crm/v3/objects/companies/{account_id}", {"properties": ",".join(self._company_properties)}
        )
        found = self.api.find(request)
        if found is None:
            raise self._unknown(account_id)
        return self._account(found)

    def contacts(self, account: Account) -> list[Contact]:
        wanted = [p for p in self.config.contact_fields.values() if p]
        return [
            self.config.contact(self.name, str(c["id"]), account.account_id, _properties(c))
            for c in self._associated(account.account_id, "contacts", wanted)
        ]

    def deals(self, account: Account) -> list[Deal]:
        found = self._associated(account.account_id, "deals", DEAL_PROPERTIES)
        return [self._deal(account.account_id, d) for d in found]

    def tickets(self, account: Account) -> list[Ticket]:
        found = self._associated(account.account_id, "tickets", TICKET_PROPERTIES)
        return [self._ticket(account.account_id, t) for t in found]

    def close(self) -> None:
        self.api.close()

    def _account(self, company: Json) -> Account:
        return self.config.account(self.name, str(dig(company, "id")), _properties(company))

    def _deal(self, account_id: str, deal: dict[str, Any]) -> Deal:
        deal_id, get = str(deal["id"]), _properties(deal)
        stage = get("dealstage")
        fixed = {
            "deal_id": deal_id, "account_id": account_id,
            "stage": "won" if stage in self.config.won_stages else "lost" if stage in self.config.lost_stages else "open",
            "type": self.config.deal_type(self.name, deal_id, get("dealtype")),
        }  # fmt: skip
        fields = {"name": "dealname", "amount": "amount", "close_date": "closedate"}
        return build_record(Deal, self.name, f"deal {deal_id}", fixed, fields, get)

    def _ticket(self, account_id: str, ticket: dict[str, Any]) -> Ticket:
        ticket_id, get = str(ticket["id"]), _properties(ticket)
        fixed = {
            "ticket_id": ticket_id, "account_id": account_id,
            "priority": mapped(self.config.ticket_priorities, get("hs_ticket_priority"), source=self.name,
                               what=f"ticket {ticket_id} hs_ticket_priority"),
            "status": mapped(self.config.ticket_stages, get("hs_pipeline_stage"), source=self.name,
                             what=f"ticket {ticket_id} hs_pipeline_stage (see ticket_stages)"),
        }  # fmt: skip
        fields = {"opened_at": "createdate", "subject": "subject"}
        return build_record(Ticket, self.name, f"ticket {ticket_id}", fixed, fields, get)

    def _search(self, groups: list[list[dict[str, str]]]) -> Iterator[Json]:
        """Companies passing `account_filters` and any one of `groups` (filters in a group are ANDed),
        sorted by id. Before paging would pass the 10,000-result cap, the query restarts from the
        last id read (`hs_object_id GT last`), so a book of any size is read whole."""
        base = [{"propertyName": k, "operator": "EQ", "value": v} for k, v in self.config.account_filters.items()]
        last: str | None = None
        while True:
            above = [{"propertyName": ID, "operator": "GT", "value": last}] if last else []
            filter_groups = [{"filters": base + g + above} for g in groups] if groups else (
                [{"filters": base + above}] if base or above else []
            )  # fmt: skip
            body = {
                "filterGroups": filter_groups, "properties": self._company_properties, "limit": SEARCH_PAGE,
                "sorts": [ID], "after": "0",
            }  # fmt: skip
            request: Request | None = Request("POST", "/crm/v3/objects/companies/search", body=body)
            read = 0
            while request is not None:
                self._search_pace.wait()
                page = self.api.send(request)
                found = items(self.name, page, "results")
                read += len(found)
                if found:
                    last = str(found[-1]["id"])
                yield from found
                request = _next_after(request, page)
                if request is not None and read + SEARCH_PAGE > SEARCH_CAP:
                    break  # the next page would pass the cap: narrow the query from `last` on
            else:
                return

    def _matches(self, query: str, limit: int) -> list[Account]:
        groups = [
            [{"propertyName": p, "operator": "CONTAINS_TOKEN", "value": f"*{query.strip()}*"}]
            for p in ("name", "domain")
        ]
        return [self._account(c) for c in islice(self._search(groups), limit)]

    def _unknown(self, account_id: str) -> UnknownAccountError:
        return UnknownAccountError(account_id, [f"{a.account_id} ({a.name})" for a in self._matches(account_id, 3)])

    def _associated(self, company_id: str, to_type: str, properties: Sequence[str]) -> list[dict[str, Any]]:
        """Objects of `to_type` associated with the company: v4 association ids, then batch reads."""
        first = Request(
            "GET", f"/crm/v4/objects/companies/{company_id}/associations/{to_type}", {"limit": ASSOCIATIONS_PAGE}
        )
        ids = list(dict.fromkeys(
            str(a["toObjectId"]) for page in self.api.pages(first, _next_after) for a in items(self.name, page, "results")
        ))  # fmt: skip
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH_SIZE):
            body = {
                "properties": list(properties), "propertiesWithHistory": [],
                "inputs": [{"id": i} for i in ids[start : start + BATCH_SIZE]],
            }  # fmt: skip
            page = self.api.send(Request("POST", f"/crm/v3/objects/{to_type}/batch/read", body=body))
            found.extend(items(self.name, page, "results"))
        return found


def _properties(record: Json) -> Getter:
    """A getter over a HubSpot record's `properties` (all values are strings or null)."""
    properties = dig(record, "properties")
    return properties.get if isinstance(properties, dict) else lambda _name: None
