"""Salesforce as the CRM and/or ticket source, read with SOQL: Account, Opportunity, Contact, Case.

Values from the caller (account ids, search text) only ever enter SOQL as escaped string literals;
the account filter is the operator's own SOQL from the config.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.config import Getter, HttpConfig, SalesforceConfig, build_record, mapped
from connectors.errors import UnknownAccountError
from connectors.http import ApiClient, Json, Request, Sleep, bearer, dig, items
from connectors.source import id_then_search
from skills.snapshot import Account, Contact, Deal, Ticket

RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
SOQL_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
OPPORTUNITY_FIELDS = ("Id", "Name", "Amount", "IsClosed", "IsWon", "Type", "CloseDate")
CASE_FIELDS = ("Id", "Subject", "Priority", "Status", "IsClosed", "CreatedDate")


def _escape(value: str) -> str:
    return "".join(SOQL_ESCAPES.get(c, c) for c in value)


def soql_string(value: str) -> str:
    """`value` as a SOQL string literal."""
    return f"'{_escape(value)}'"


def soql_contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, its own % and _ taken literally."""
    return "'%" + _escape(value).replace("%", "\\%").replace("_", "\\_") + "%'"


def _next_records(request: Request, body: Json) -> Request | None:
    """Query results continue at `nextRecordsUrl` (a path on the instance) while `done` is false."""
    url = dig(body, "nextRecordsUrl")
    return Request("GET", url) if dig(body, "done") is False and isinstance(url, str) else None


def _getter(record: Json) -> Getter:
    """Reads a field, following relationship paths such as Owner.Name (a null parent reads as None)."""
    return lambda path: dig(record, *path.split("."))


def _select(fields: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(f for f in fields if f))


class Salesforce:
    name = "salesforce"

    def __init__(
        self,
        config: SalesforceConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        self.api = ApiClient(
            self.name, config.instance_url, http, headers=bearer(config.token_env, self.name, environ),
            on_401=f"check that {config.token_env} holds a current access token for {config.instance_url}"
            " (INVALID_SESSION_ID: it expired; get a new one)",
            on_403="the user needs the API Enabled permission and read access to Account, Opportunity, Contact and"
            " Case (REQUEST_LIMIT_EXCEEDED instead means the org's daily API limit is used up)",
            sleep=sleep,
        )  # fmt: skip
        self._account_select = _select(["Id", *config.account_fields.values()])

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query, across all of its batches."""
        first = Request("GET", f"/services/data/{self.config.api_version}/query", {"q": soql})
        return [r for page in self.api.pages(first, _next_records) for r in items(self.name, page, "records")]

    def check(self) -> str:
        self.query("SELECT Id FROM Account LIMIT 1")
        return f"Account readable at {self.config.instance_url}"

    def accounts(self) -> list[Account]:
        where = f" WHERE {self.config.account_filter}" if self.config.account_filter else ""
        return [
            self._account(r) for r in self.query(f"SELECT {self._account_select} FROM Account{where} ORDER BY Name")
        ]

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        return id_then_search(query, bool(RECORD_ID.match(query.strip())), self.account, self._matches, limit)

    def account(self, account_id: str) -> Account:
        soql = f"SELECT {self._account_select} FROM Account WHERE Id = {soql_string(account_id)}"
        rows = self.query(soql) if RECORD_ID.match(account_id) else []
        if not rows:
            raise UnknownAccountError(account_id, [f"{a.account_id} ({a.name})" for a in self._matches(account_id, 3)])
        return self._account(rows[0])

    def contacts(self, account: Account) -> list[Contact]:
        fields = _select(["Id", *self.config.contact_fields.values()])
        return [
            self.config.contact(self.name, str(r["Id"]), account.account_id, _getter(r))
            for r in self._children(fields, "Contact", account)
        ]

    def deals(self, account: Account) -> list[Deal]:
        return [
            self._deal(account.account_id, r)
            for r in self._children(_select(OPPORTUNITY_FIELDS), "Opportunity", account)
        ]

    def tickets(self, account: Account) -> list[Ticket]:
        return [self._case(account.account_id, r) for r in self._children(_select(CASE_FIELDS), "Case", account)]

    def close(self) -> None:
        self.api.close()

    def _children(self, fields: str, sobject: str, account: Account) -> list[dict[str, Any]]:
        return self.query(f"SELECT {fields} FROM {sobject} WHERE AccountId = {soql_string(account.account_id)}")

    def _matches(self, query: str, limit: int) -> list[Account]:
        like = soql_contains(query.strip())
        where = f"(Name LIKE {like} OR Website LIKE {like})"
        if self.config.account_filter:
            where += f" AND ({self.config.account_filter})"
        soql = f"SELECT {self._account_select} FROM Account WHERE {where} ORDER BY Name LIMIT {int(limit)}"
        return [self._account(r) for r in self.query(soql)]

    def _account(self, record: dict[str, Any]) -> Account:
        return self.config.account(self.name, str(record.get("Id")), _getter(record))

    def _deal(self, account_id: str, record: dict[str, Any]) -> Deal:
        deal_id = str(record["Id"])
        stage = ("won" if record.get("IsWon") else "lost") if record.get("IsClosed") else "open"
        fixed = {
            "deal_id": deal_id, "account_id": account_id, "stage": stage,
            "type": self.config.deal_type(self.name, deal_id, record.get("Type")),
        }  # fmt: skip
        fields = {"name": "Name", "amount": "Amount", "close_date": "CloseDate"}
        return build_record(Deal, self.name, f"opportunity {deal_id}", fixed, fields, _getter(record))

    def _case(self, account_id: str, record: dict[str, Any]) -> Ticket:
        case_id = str(record["Id"])
        pending = str(record.get("Status") or "").lower() in {s.lower() for s in self.config.pending_statuses}
        fixed = {
            "ticket_id": case_id, "account_id": account_id,
            "priority": mapped(self.config.case_priorities, record.get("Priority"), source=self.name,
                               what=f"case {case_id} Priority (see case_priorities)"),
            "status": "closed" if record.get("IsClosed") else "pending" if pending else "open",
        }  # fmt: skip
        fields = {"opened_at": "CreatedDate", "subject": "Subject"}
        return build_record(Ticket, self.name, f"case {case_id}", fixed, fields, _getter(record))
