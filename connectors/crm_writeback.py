"""CRM write-back: an approved proposal becomes the expansion opportunity (HubSpot deal or Salesforce
Opportunity) with a note holding the internal prep, idempotent by proposal id.

Every write goes through `WriteGuard`, which refuses any object or field outside the configured
allowlist before a request is sent, whatever the caller asks. `plan` reads the CRM and says field by
field what a push would create or change; `apply` performs exactly that plan.

- HubSpot: the deal carries the proposal id in a unique custom property; `GET
  /crm/v3/objects/deals/{proposal_id}?idProperty=…` finds it (404: none yet), then `POST
  /crm/v3/objects/deals` (associated to the company) or `PATCH /crm/v3/objects/deals/{id}`; the note is
  `POST /crm/v3/objects/notes` associated to the deal.
- Salesforce: `PATCH /sobjects/Opportunity/{external id field}/{proposal_id}` upserts (201 created,
  200 or 204 updated); the note is `POST /sobjects/Note` with the Opportunity as parent.

A second push updates the opportunity and never creates another one; the note is created once (the
store remembers its id) since an approved proposal's prep does not change. Pipeline and stage are
set when the opportunity is created only: a later push never moves a deal the sales team has advanced.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

from connectors.config import HttpConfig, HubSpotConfig, SalesforceConfig, WritebackConfig, WriteTarget
from connectors.errors import SourceError
from connectors.http import ApiClient, ApiError, Json, Request, Sleep, bearer, dig
from skills.evidence import Result

WriteAction = Literal["create", "update", "unchanged"]
Value = str | float
NOTE_LIMIT = {"hubspot": 65_000, "salesforce": 32_000}


class WriteRefused(ValueError):
    """A write outside the allowlist; nothing was sent."""


class ExpansionPush(Result):
    """What an approved proposal writes: built by the server from the stored proposal."""

    proposal_id: str
    account_id: str
    name: str
    amount: float
    close_date: date
    note_title: str
    note_text: str
    note_id: str | None = None


class FieldChange(Result):
    field: str
    before: str | None
    after: str


class PlannedWrite(Result):
    """One object's write, field by field: `before` is the CRM's current value (None: not set)."""

    crm: WriteTarget
    object: str
    action: WriteAction
    crm_id: str | None
    changes: tuple[FieldChange, ...]


class PushResult(Result):
    crm: WriteTarget
    opportunity_id: str
    note_id: str
    writes: tuple[PlannedWrite, ...]


class WriteGuard:
    """The allowlist: `<crm>.<object>` -> fields. The only door to a CRM write."""

    def __init__(self, crm: WriteTarget, allowed: Mapping[str, tuple[str, ...]]) -> None:
        self.crm = crm
        self.allowed = allowed

    def check(self, obj: str, fields: Mapping[str, Any]) -> None:
        key = f"{self.crm}.{obj}"
        if key not in self.allowed:
            raise WriteRefused(f"writing {key} is not allowed; the allowlist ([connectors.writeback] allowed) has {', '.join(sorted(self.allowed)) or 'nothing'}")  # fmt: skip
        if extra := sorted(set(fields) - set(self.allowed[key])):
            raise WriteRefused(f"writing {', '.join(extra)} on {key} is not allowed; allowed fields: {', '.join(self.allowed[key])}")  # fmt: skip


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _same(before: str | None, after: Value) -> bool:
    """CRMs echo numbers and dates in their own forms ("48000.0", "2026-12-30T00:00:00Z")."""
    if before is None:
        return False
    if isinstance(after, float):
        try:
            return float(before) == after
        except ValueError:
            return False
    if len(after) == 24 and after.endswith("T00:00:00.000Z"):
        return before[:10] == after[:10]
    return before == after


def changes(fields: Mapping[str, Value], current: Mapping[str, Any] | None) -> tuple[FieldChange, ...]:
    """The fields whose value differs from the CRM's (all of them for a new record)."""
    found = []
    for name, after in fields.items():
        before = _text(current.get(name)) if current is not None else None
        if current is None or not _same(before, after):
            found.append(
                FieldChange(field=name, before=before, after=f"{after:g}" if isinstance(after, float) else after)
            )
    return tuple(found)


def created_id(source: str, body: Json, key: str = "id") -> str:
    """The id a create answered with; a create without one is an error, never the text "None"."""
    found = _text(dig(body, key))
    if found is None:
        raise SourceError(source, f"the create call answered without an {key}: {str(body)[:200]!r}")
    return found


def note_html(text: str, limit: int) -> str:
    """Plain text as HubSpot note HTML: escaped, one paragraph per line."""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return body[:limit]


class CrmWriter(Protocol):
    name: WriteTarget

    def plan(self, push: ExpansionPush) -> tuple[PlannedWrite, ...]: ...

    def apply(self, push: ExpansionPush, plan: tuple[PlannedWrite, ...]) -> PushResult: ...

    def close(self) -> None: ...


def _planned(crm: WriteTarget, obj: str, crm_id: str | None, fields: Mapping[str, Value], current: Any) -> PlannedWrite:
    found = changes(fields, current)
    action: WriteAction = "create" if crm_id is None else "update" if found else "unchanged"
    return PlannedWrite(crm=crm, object=obj, action=action, crm_id=crm_id, changes=found)


def _note_plan(crm: WriteTarget, obj: str, push: ExpansionPush, fields: Mapping[str, Value]) -> PlannedWrite:
    if push.note_id is not None:
        return PlannedWrite(crm=crm, object=obj, action="unchanged", crm_id=push.note_id, changes=())
    return _planned(crm, obj, None, fields, None)


class HubSpotWriter:
    name: WriteTarget = "hubspot"

    def __init__(
        self,
        config: WritebackConfig,
        crm: HubSpotConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config.hubspot
        self.guard = WriteGuard("hubspot", config.allowed)
        self._now = now
        self.api = ApiClient(
            "hubspot", crm.base_url, http, headers=bearer(crm.token_env, "hubspot", environ),
            on_401=f"check that {crm.token_env} holds a valid private-app access token (pat-…)",
            on_403="the private app needs the write scopes crm.objects.deals.write and crm.objects.contacts.write (notes)",
            sleep=sleep,
        )  # fmt: skip

    def deal_fields(self, push: ExpansionPush, creating: bool) -> dict[str, Value]:
        fields: dict[str, Value] = {
            "dealname": push.name,
            "amount": push.amount,
            "closedate": f"{push.close_date.isoformat()}T00:00:00.000Z",
            "dealtype": self.config.dealtype,
        }
        if creating:
            fields |= {
                "pipeline": self.config.pipeline,
                "dealstage": self.config.dealstage,
                self.config.proposal_id_property: push.proposal_id,
            }
        return fields

    def note_fields(self, push: ExpansionPush) -> dict[str, Value]:
        return {
            "hs_timestamp": self._now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "hs_note_body": note_html(f"{push.note_title}\n{push.note_text}", NOTE_LIMIT["hubspot"]),
        }

    def find(self, push: ExpansionPush) -> Json:
        """The deal holding this proposal id in the unique property, or None."""
        fields = ",".join(self.deal_fields(push, creating=True))
        request = Request(
            "GET",
            f"/crm/v3/objects/deals/{quote(push.proposal_id, safe='')}",
            {"idProperty": self.config.proposal_id_property, "properties": fields},
        )
        return self.api.find(request)

    def plan(self, push: ExpansionPush) -> tuple[PlannedWrite, ...]:
        found = self.find(push)
        deal_id = _text(dig(found, "id"))
        deal = self.deal_fields(push, creating=deal_id is None)
        note = self.note_fields(push)
        self.guard.check("deals", deal)
        self.guard.check("notes", note)
        return (
            _planned("hubspot", "deals", deal_id, deal, dig(found, "properties") if found else None),
            _note_plan("hubspot", "notes", push, note),
        )

    def apply(self, push: ExpansionPush, plan: tuple[PlannedWrite, ...]) -> PushResult:
        deal_plan, note_plan = plan
        if deal_plan.action == "create":
            deal = self.deal_fields(push, creating=True)
            self.guard.check("deals", deal)
            body = {"properties": _strings(deal), "associations": [
                _association(push.account_id, self.config.deal_company_association)
            ]}  # fmt: skip
            deal_id = created_id("hubspot", self.api.send(Request("POST", "/crm/v3/objects/deals", body=body)))
        else:
            deal_id = str(deal_plan.crm_id)
            if deal_plan.action == "update":
                update = {c.field: self.deal_fields(push, creating=False)[c.field] for c in deal_plan.changes}
                self.guard.check("deals", update)
                self.api.send(
                    Request("PATCH", f"/crm/v3/objects/deals/{deal_id}", body={"properties": _strings(update)})
                )
        note_id = note_plan.crm_id
        if note_plan.action == "create":
            note = self.note_fields(push)
            self.guard.check("notes", note)
            body = {"properties": _strings(note), "associations": [
                _association(deal_id, self.config.note_deal_association)
            ]}  # fmt: skip
            note_id = created_id("hubspot", self.api.send(Request("POST", "/crm/v3/objects/notes", body=body)))
        return PushResult(crm="hubspot", opportunity_id=deal_id, note_id=str(note_id), writes=plan)

    def close(self) -> None:
        self.api.close()


def _strings(fields: Mapping[str, Value]) -> dict[str, str]:
    """HubSpot property values are strings on the wire."""
    return {k: f"{v:g}" if isinstance(v, float) else v for k, v in fields.items()}


def _association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


class SalesforceWriter:
    name: WriteTarget = "salesforce"

    def __init__(
        self,
        config: WritebackConfig,
        crm: SalesforceConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config.salesforce
        self.guard = WriteGuard("salesforce", config.allowed)
        self.base = f"/services/data/{crm.api_version}/sobjects"
        self.api = ApiClient(
            "salesforce", crm.instance_url, http, headers=bearer(crm.token_env, "salesforce", environ),
            on_401=f"the access token in {crm.token_env} is invalid or expired; get a new one for {crm.instance_url}",
            on_403="the user needs Edit on Opportunity (with the external id field) and Create on Note",
            sleep=sleep,
        )  # fmt: skip

    def _by_proposal(self, push: ExpansionPush) -> str:
        return f"{self.base}/Opportunity/{self.config.external_id_field}/{quote(push.proposal_id, safe='')}"

    def opportunity_fields(self, push: ExpansionPush, creating: bool) -> dict[str, Value]:
        fields: dict[str, Value] = {
            "Name": push.name,
            "Amount": push.amount,
            "CloseDate": push.close_date.isoformat(),
            "Type": self.config.type,
        }
        if creating:
            fields |= {"StageName": self.config.stage_name, "AccountId": push.account_id}
        return fields

    def note_fields(self, push: ExpansionPush, parent_id: str) -> dict[str, Value]:
        return {
            "ParentId": parent_id,
            "Title": push.note_title[:80],
            "Body": push.note_text[: NOTE_LIMIT["salesforce"]],
        }

    def find(self, push: ExpansionPush) -> Json:
        fields = ",".join(["Id", *self.opportunity_fields(push, creating=True)])
        return self.api.find(Request("GET", self._by_proposal(push), {"fields": fields}))

    def plan(self, push: ExpansionPush) -> tuple[PlannedWrite, ...]:
        found = self.find(push)
        opportunity_id = _text(dig(found, "Id"))
        fields = self.opportunity_fields(push, creating=opportunity_id is None)
        note = self.note_fields(push, opportunity_id or "(the new Opportunity)")
        self.guard.check("Opportunity", fields)
        self.guard.check("Note", note)
        return (
            _planned("salesforce", "Opportunity", opportunity_id, fields, found),
            _note_plan("salesforce", "Note", push, note),
        )

    def apply(self, push: ExpansionPush, plan: tuple[PlannedWrite, ...]) -> PushResult:
        opportunity_plan, note_plan = plan
        opportunity_id = opportunity_plan.crm_id
        if opportunity_plan.action != "unchanged":
            fields = self.opportunity_fields(push, creating=opportunity_plan.action == "create")
            self.guard.check("Opportunity", fields)
            body = self.api.send(Request("PATCH", self._by_proposal(push), body=fields))
            opportunity_id = _text(dig(body, "id")) or opportunity_id  # 204 on update: no body
        if opportunity_id is None:
            raise ApiError(
                "salesforce", 204, "the upsert created an Opportunity but returned no id; push again to link it"
            )
        note_id = note_plan.crm_id
        if note_plan.action == "create":
            note = self.note_fields(push, opportunity_id)
            self.guard.check("Note", note)
            note_id = created_id("salesforce", self.api.send(Request("POST", f"{self.base}/Note", body=note)))
        return PushResult(crm="salesforce", opportunity_id=opportunity_id, note_id=str(note_id), writes=plan)

    def close(self) -> None:
        self.api.close()


def open_writer(
    config: WritebackConfig,
    hubspot: HubSpotConfig,
    salesforce: SalesforceConfig | None,
    http: HttpConfig,
    *,
    environ: Mapping[str, str] = os.environ,
    sleep: Sleep = time.sleep,
) -> CrmWriter:
    """The writer for `config.target`; WriteRefused when no target (or its CRM connection) is configured."""
    if config.target == "hubspot":
        return HubSpotWriter(config, hubspot, http, environ=environ, sleep=sleep)
    if config.target == "salesforce":
        if salesforce is None:
            raise WriteRefused("write-back to Salesforce needs a [connectors.salesforce] table with instance_url")
        return SalesforceWriter(config, salesforce, http, environ=environ, sleep=sleep)
    raise WriteRefused('no CRM to write to: set [connectors.writeback] target = "hubspot" or "salesforce"')
