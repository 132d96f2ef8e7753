"""Which source serves each data kind, and how each vendor's fields map onto the SPEC records.

Secrets never live in this config: it names the environment variables that hold them, read by
`env_secret` when a connector starts. Vendor field names and value maps are config because every
CRM is customised; the mapping code applies them strictly and never fills in a value it lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from connectors.errors import SourceError
from connectors.usage_events import USAGE_COLUMNS
from skills.snapshot import Account, Contact, Record, Source, enrichment_provider

SourceName = Literal["workspace", "hubspot", "salesforce", "zendesk", "warehouse", "gong"]
DataKind = Literal["crm", "usage", "tickets", "conversations", "outcomes"]
DATA_KINDS: tuple[DataKind, ...] = get_args(DataKind)
SERVES: dict[SourceName, frozenset[DataKind]] = {
    "workspace": frozenset(DATA_KINDS),
    "hubspot": frozenset({"crm", "tickets"}),
    "salesforce": frozenset({"crm", "tickets"}),
    "zendesk": frozenset({"tickets"}),
    "warehouse": frozenset({"usage"}),
    "gong": frozenset({"conversations"}),
}
EVIDENCE: dict[DataKind, Source] = {
    "crm": Source.crm,
    "usage": Source.usage,
    "tickets": Source.support,
    "conversations": Source.conversations,
    "outcomes": Source.outcomes,
}
Role = Literal["champion", "economic_buyer", "power_user", "user"]
ROLE_RANK: tuple[Role, ...] = get_args(Role)
DealType = Literal["new", "expansion", "renewal"]
Priority = Literal["P1", "P2", "P3", "P4"]
T = TypeVar("T")
R = TypeVar("R", bound=Record)
Getter = Callable[[str], Any]
"""Reads one vendor field (property name, dotted SOQL path, JSON key) of a vendor record."""

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
HTTP_URL = r"^https?://[^\s/]+(/[^\s]*)?$"
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
ACCOUNT_FIELDS = frozenset(Account.model_fields) - {"account_id"}
REQUIRED_ACCOUNT_FIELDS = frozenset(n for n, f in Account.model_fields.items() if f.is_required()) - {"account_id"}
CONTACT_FIELDS = frozenset({"first_name", "title", "department", "last_engaged_at", "role", "status", "email"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _over_defaults(cls: type[BaseModel], data: Any, names: tuple[str, ...]) -> Any:
    """A partial mapping in the config (one renamed field) keeps the defaults of the others."""
    if not isinstance(data, dict):
        return data
    merged = dict(data)
    for name in names:
        if isinstance(data.get(name), dict):
            merged[name] = {**cls.model_fields[name].get_default(call_default_factory=True), **data[name]}
    return merged


def env_secret(name: str, source: str, environ: Mapping[str, str]) -> SecretStr:
    """The secret held by environment variable `name`; its value never reaches a message or log."""
    value = environ.get(name, "").strip()
    if not value:
        raise SourceError(source, f"environment variable {name} is not set (it holds the credential)")
    return SecretStr(value)


def mapped(table: Mapping[str, T], raw: Any, *, source: str, what: str) -> T:
    """Case-insensitive value map lookup; an empty value looks up key "". Unknown values are errors."""
    key = "" if raw is None else str(raw).strip().lower()
    for name, value in table.items():
        if name.lower() == key:
            return value
    raise SourceError(source, f"{what}: value {raw!r} has no mapping; add it to the connector's value map")


def _clean(model: type[Record], field: str, raw: Any) -> Any:
    """Blank means "not given"; `;` separates list values; enum-like text is normalised (Mid-Market)."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    annotation = model.model_fields[field].annotation
    if not text:
        return None
    if get_origin(annotation) is tuple:
        return tuple(p.strip() for p in text.split(";") if p.strip())
    if get_origin(annotation) is Literal:
        return text.lower().replace("-", "_").replace(" ", "_")
    return text


def build_record(
    model: type[R], source: str, label: str, fixed: dict[str, Any], fields: Mapping[str, str], get: Getter
) -> R:
    """`model` from computed values plus mapped vendor fields; errors name the vendor field and record."""
    values = dict(fixed)
    for field, vendor in fields.items():
        value = _clean(model, field, get(vendor)) if vendor else None
        if value is not None:
            values[field] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            vendor = fields.get(field) or field
            shown = "is empty" if err["type"] == "missing" else f"{err['msg']} (value {values.get(field)!r})"
            problems.append(f"{vendor!r} (for {field}) {shown}")
        raise SourceError(source, f"{label}: {'; '.join(problems)}") from None


class CrmMapping(_Strict):
    """Vendor field names for Account and Contact, and the vendor's role and deal-type values.

    `account_fields` maps every SPEC Account field (but account_id) to a vendor field; "" leaves an
    optional one unmapped. `contact_fields` also names the role and status fields ("" = none:
    every contact is then a plain active user).
    """

    account_fields: dict[str, str]
    contact_fields: dict[str, str]
    roles: dict[str, Role] = Field(description="role-field value -> role; several values: strongest role wins")
    left_values: tuple[str, ...] = ("left", "former", "inactive")
    deal_types: dict[str, DealType] = Field(description='deal type value -> type; "" is an empty value')

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        return _over_defaults(cls, data, ("account_fields", "contact_fields"))

    @model_validator(mode="after")
    def _known_fields(self) -> CrmMapping:
        for name, given, known in (
            ("account_fields", self.account_fields, ACCOUNT_FIELDS),
            ("contact_fields", self.contact_fields, CONTACT_FIELDS),
        ):
            if unknown := sorted(set(given) - known):
                raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if unmapped := sorted(f for f in REQUIRED_ACCOUNT_FIELDS if not self.account_fields.get(f)):
            raise ValueError(f"account_fields: required field(s) {', '.join(unmapped)} must name a vendor field")
        return self

    def account(self, source: str, account_id: str, get: Getter) -> Account:
        return build_record(
            Account, source, f"account {account_id}", {"account_id": account_id}, self.account_fields, get
        )

    def contact(self, source: str, contact_id: str, account_id: str, get: Getter) -> Contact:
        role_field, status_field = self.contact_fields.get("role"), self.contact_fields.get("status")
        status = str(get(status_field) or "").strip().lower() if status_field else ""
        fixed = {
            "contact_id": contact_id,
            "account_id": account_id,
            "status": "left" if status in {v.lower() for v in self.left_values} else "active",
            "role": self._role(get(role_field) if role_field else None),
        }
        fields = {k: v for k, v in self.contact_fields.items() if k not in ("role", "status")}
        return build_record(Contact, source, f"contact {contact_id}", fixed, fields, get)

    def _role(self, raw: Any) -> Role:
        """Strongest mapped role among `;`-separated values; unmapped or empty values mean a plain user."""
        table = {k.lower(): v for k, v in self.roles.items()}
        found = {table[v.strip().lower()] for v in str(raw or "").split(";") if v.strip().lower() in table}
        return min(found, key=ROLE_RANK.index, default="user")

    def deal_type(self, source: str, deal_id: str, raw: Any) -> DealType:
        return mapped(self.deal_types, raw, source=source, what=f"deal {deal_id} type")


HUBSPOT_ACCOUNT_FIELDS = {
    "name": "name", "domain": "domain", "industry": "industry", "segment": "segment", "region": "region",
    "csm_owner": "csm_owner", "plan_tier": "plan_tier", "products": "products", "currency": "", "arr": "arr",
    "seats_licensed": "seats_licensed", "price_per_seat": "price_per_seat", "contract_start": "contract_start",
    "renewal_date": "renewal_date", "employees_at_signing": "employees_at_signing",
    "employees_now": "numberofemployees", "revenue_at_signing": "revenue_at_signing", "revenue_now": "annualrevenue",
    "health_score": "health_score", "health_trend": "health_trend", "integrations_count": "integrations_count",
}  # fmt: skip


class HubSpotConfig(CrmMapping):
    """HubSpot private app: companies are accounts; property names are the internal names."""

    base_url: str = Field(default="https://api.hubapi.com", pattern=HTTP_URL)
    token_env: str = Field(default="HUBSPOT_ACCESS_TOKEN", pattern=ENV_NAME)
    account_filters: dict[str, str] = Field(
        default={"lifecyclestage": "customer"},
        description="property = value filters (ANDed) selecting the companies that are accounts",
    )
    account_fields: dict[str, str] = HUBSPOT_ACCOUNT_FIELDS
    contact_fields: dict[str, str] = {
        "first_name": "firstname", "title": "jobtitle", "department": "", "last_engaged_at": "notes_last_contacted",
        "role": "hs_buying_role", "status": "",
    }  # fmt: skip
    roles: dict[str, Role] = {
        "CHAMPION": "champion",
        "BUDGET_HOLDER": "economic_buyer",
        "DECISION_MAKER": "economic_buyer",
    }
    deal_types: dict[str, DealType] = {"newbusiness": "new", "existingbusiness": "expansion", "": "new"}
    won_stages: tuple[str, ...] = ("closedwon",)
    lost_stages: tuple[str, ...] = ("closedlost",)
    ticket_priorities: dict[str, Priority] = {"URGENT": "P1", "HIGH": "P2", "MEDIUM": "P3", "LOW": "P4", "": "P4"}
    ticket_stages: dict[str, Literal["open", "pending", "solved", "closed"]] = Field(
        default={"1": "open", "2": "pending", "3": "open", "4": "closed"},
        description="hs_pipeline_stage id -> status; read yours from the ticket pipelines settings",
    )


SALESFORCE_ACCOUNT_FIELDS = {
    "name": "Name", "domain": "Website", "industry": "Industry", "segment": "Segment__c", "region": "Region__c",
    "csm_owner": "CSM_Owner__c", "plan_tier": "Plan_Tier__c", "products": "Products__c", "currency": "",
    "arr": "ARR__c", "seats_licensed": "Seats_Licensed__c", "price_per_seat": "Price_Per_Seat__c",
    "contract_start": "Contract_Start__c", "renewal_date": "Renewal_Date__c",
    "employees_at_signing": "Employees_At_Signing__c", "employees_now": "NumberOfEmployees",
    "revenue_at_signing": "Revenue_At_Signing__c", "revenue_now": "AnnualRevenue",
    "health_score": "Health_Score__c", "health_trend": "Health_Trend__c",
    "integrations_count": "Integrations_Count__c",
}  # fmt: skip


class SalesforceConfig(CrmMapping):
    """Salesforce REST (SOQL): Accounts, Opportunities, Contacts, Cases. Dotted paths (Owner.Name) work."""

    instance_url: str = Field(pattern=HTTP_URL)
    api_version: str = Field(default="v62.0", pattern=r"^v\d+\.\d+$")
    token_env: str = Field(default="SALESFORCE_ACCESS_TOKEN", pattern=ENV_NAME)
    account_filter: str = Field(
        default="Type LIKE 'Customer%'", description="SOQL condition selecting the Accounts that are accounts"
    )
    account_fields: dict[str, str] = SALESFORCE_ACCOUNT_FIELDS
    contact_fields: dict[str, str] = {
        "first_name": "FirstName", "title": "Title", "department": "Department",
        "last_engaged_at": "LastActivityDate", "role": "", "status": "",
    }  # fmt: skip
    roles: dict[str, Role] = {
        "Champion": "champion", "Economic Buyer": "economic_buyer", "Decision Maker": "economic_buyer",
        "Power User": "power_user",
    }  # fmt: skip
    deal_types: dict[str, DealType] = {
        "New Customer": "new", "New Business": "new", "Existing Customer - Upgrade": "expansion",
        "Existing Customer - Replacement": "renewal", "Existing Customer - Downgrade": "renewal",
        "Renewal": "renewal", "": "new",
    }  # fmt: skip
    case_priorities: dict[str, Priority] = {
        "Critical": "P1", "Urgent": "P1", "High": "P2", "Medium": "P3", "Low": "P4", "": "P4",
    }  # fmt: skip
    pending_statuses: tuple[str, ...] = Field(
        default=("Waiting on Customer", "On Hold", "Pending"),
        description="open Case statuses that mean pending; IsClosed decides closed, any other status is open",
    )


class ZendeskConfig(_Strict):
    """Zendesk Support: tickets of the organization that stands for the account."""

    subdomain: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    base_url: str | None = Field(default=None, pattern=HTTP_URL)
    email_env: str = Field(default="ZENDESK_EMAIL", pattern=ENV_NAME)
    token_env: str = Field(default="ZENDESK_API_TOKEN", pattern=ENV_NAME)
    bearer_env: str | None = Field(default=None, pattern=ENV_NAME, description="OAuth token instead of email + token")
    organization_ids: dict[str, int] = Field(default_factory=dict, description="account_id -> organization id")
    lookup_external_id: bool = Field(
        default=False,
        description="opt in to find the organization whose external_id is the account id (organization "
        "search needs an admin, or an Enterprise custom role that may add or modify organizations)",
    )

    @model_validator(mode="after")
    def _one_address(self) -> ZendeskConfig:
        if (self.subdomain is None) == (self.base_url is None):
            raise ValueError("set exactly one of subdomain or base_url")
        return self

    @property
    def url(self) -> str:
        return self.base_url or f"https://{self.subdomain}.zendesk.com"


class WarehouseConfig(_Strict):
    """A SQL table of usage events; `columns` maps each SPEC usage column to the table's column."""

    url_env: str = Field(default="EXPANSION_DESK_WAREHOUSE_URL", pattern=ENV_NAME)
    table: str = Field(pattern=rf"^{IDENT}(\.{IDENT}){{0,2}}$")
    columns: dict[str, str] = {c: c for c in USAGE_COLUMNS}

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        return _over_defaults(cls, data, ("columns",))

    @model_validator(mode="after")
    def _identifiers(self) -> WarehouseConfig:
        if unknown := sorted(set(self.columns) - set(USAGE_COLUMNS)):
            raise ValueError(
                f"columns: unknown usage column(s) {', '.join(unknown)}; known: {', '.join(USAGE_COLUMNS)}"
            )
        if bad := sorted(v for v in self.columns.values() if not re.fullmatch(IDENT, v)):
            raise ValueError(f"columns: not a plain SQL identifier: {', '.join(bad)}")
        return self


class GongConfig(_Strict):
    """Gong (API v2) as the conversations source: the account's calls and their transcripts.

    Basic auth with the access key and its secret, read from the environment variables named here.
    A call belongs to an account when its CRM context holds the account's CRM id (an Account object
    of `crm_system`), or, with `match_domain`, when an external participant's email is at the
    account's domain.
    """

    base_url: str = Field(
        default="https://api.gong.io", pattern=HTTP_URL, description="your tenant's API base URL (API settings page)"
    )
    access_key_env: str = Field(default="GONG_ACCESS_KEY", pattern=ENV_NAME)
    access_key_secret_env: str = Field(default="GONG_ACCESS_KEY_SECRET", pattern=ENV_NAME)
    crm_system: Literal["Salesforce", "HubSpot", "MicrosoftDynamic", "Generic"] | None = Field(
        default=None, description="the CRM whose Account ids Gong links calls to; None = any"
    )
    crm_ids: dict[str, str] = Field(
        default_factory=dict, description="account_id -> the CRM's account id, when they differ"
    )
    match_domain: bool = Field(default=True, description="also match calls by external participants' email domain")
    lookback_days: int = Field(default=180, ge=1, le=730, description="calls started in the last N days")
    workspace_id: str | None = Field(default=None, pattern=r"^\d+$")
    requests_per_second: float = Field(default=3.0, gt=0, le=3.0, description="Gong allows 3 calls per second")


class CacheConfig(_Strict):
    ttl_seconds: float = Field(default=300, ge=0)
    max_accounts: int = Field(default=256, ge=1)


class HttpConfig(_Strict):
    """Retry bounds: at most `max_attempts` tries and `max_total_wait_s` of waiting in all, per call."""

    timeout_s: float = Field(default=30, gt=0)
    max_concurrency: int = Field(default=4, ge=1, description="requests in flight per API")
    max_attempts: int = Field(default=5, ge=1)
    max_backoff_s: float = Field(default=30, ge=0, description="longest exponential backoff step")
    max_total_wait_s: float = Field(default=120, ge=0, description="a server asking for more makes the call fail")


class SourcesConfig(_Strict):
    """The source of each data kind; each source serves only the kinds it holds (see SERVES)."""

    crm: SourceName = "workspace"
    usage: SourceName = "workspace"
    tickets: SourceName = "workspace"
    conversations: SourceName = "workspace"
    outcomes: SourceName = "workspace"

    @model_validator(mode="after")
    def _served(self) -> SourcesConfig:
        for kind in DATA_KINDS:
            source = getattr(self, kind)
            if kind not in SERVES[source]:
                can = sorted(s for s, kinds in SERVES.items() if kind in kinds)
                raise ValueError(f"{kind} cannot come from {source}; choose one of {', '.join(can)}")
        return self

    def by_source(self) -> dict[SourceName, tuple[DataKind, ...]]:
        out: dict[SourceName, tuple[DataKind, ...]] = {}
        for kind in DATA_KINDS:
            out[getattr(self, kind)] = (*out.get(getattr(self, kind), ()), kind)
        return out


# --- Enrichment (issue 14): a provider next to the data kinds; `enrichment = "pdl"` is short for a table.

EnrichmentSource = Literal["workspace", "pdl", "none"]


class PeopleDataLabsConfig(_Strict):
    """People Data Labs Company and Person Enrichment (v5); the key travels in the X-Api-Key header."""

    base_url: str = Field(default="https://api.peopledatalabs.com", pattern=HTTP_URL)
    api_key_env: str = Field(default="PDL_API_KEY", pattern=ENV_NAME)
    min_likelihood: int = Field(default=2, ge=0, le=10, description="PDL's match confidence floor")
    answer_ttl_s: float = Field(
        default=86_400, ge=0, description="each lookup's answer (a match or no match) is reused this long: credits"
    )


class EnrichmentConfig(_Strict):
    """Where company and champion enrichment comes from: the workspace's `enrichment.csv` (an export from
    ZoomInfo, Clay, ...), People Data Labs, or nowhere. `provider` names the export's source for the
    citation ("Per ZoomInfo:") when the file has no `provider` column."""

    source: EnrichmentSource = "workspace"
    provider: str = Field(default="enrichment", description="ZoomInfo, Clay, LinkedIn, Apollo or enrichment")
    pdl: PeopleDataLabsConfig = PeopleDataLabsConfig()

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"source": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _known_provider(self) -> EnrichmentConfig:
        enrichment_provider(self.provider)
        return self


# --- CRM write-back (issue 14): what an approved proposal may write, and nothing else.

WriteTarget = Literal["hubspot", "salesforce"]


class HubSpotWriteConfig(_Strict):
    """The expansion deal: pipeline and stage ids (internal ids, from the deal pipeline settings) and the
    unique custom deal property that holds the proposal id, so a second push finds and updates the deal."""

    pipeline: str = "default"
    dealstage: str = "appointmentscheduled"
    dealtype: str = "existingbusiness"
    proposal_id_property: str = Field(default="expansion_desk_proposal_id", pattern=rf"^{IDENT}$")
    deal_company_association: int = Field(default=5, description="association type id deal -> company (5 = Primary)")
    note_deal_association: int = Field(default=214, description="association type id note -> deal")


class SalesforceWriteConfig(_Strict):
    """The expansion Opportunity, upserted by an External ID field that holds the proposal id."""

    external_id_field: str = Field(default="Expansion_Desk_Proposal_Id__c", pattern=rf"^{IDENT}$")
    stage_name: str = "Prospecting"
    type: str = "Existing Customer - Upgrade"


WRITE_ALLOWLIST_DEFAULT: dict[str, tuple[str, ...]] = {
    "hubspot.deals": ("dealname", "amount", "pipeline", "dealstage", "closedate", "dealtype", "expansion_desk_proposal_id"),
    "hubspot.notes": ("hs_note_body", "hs_timestamp"),
    "salesforce.Opportunity": ("Name", "Amount", "CloseDate", "StageName", "Type", "AccountId", "Description"),
    "salesforce.Note": ("ParentId", "Title", "Body"),
}  # fmt: skip


class WritebackConfig(_Strict):
    """`[connectors.writeback]`: the CRM an approved proposal is pushed to, and the allowlist of
    "<crm>.<object>" -> fields. A write of any other object or field is refused before any request."""

    target: WriteTarget | None = Field(default=None, description="unset: push_to_crm and --push are refused")
    allowed: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(WRITE_ALLOWLIST_DEFAULT))
    hubspot: HubSpotWriteConfig = HubSpotWriteConfig()
    salesforce: SalesforceWriteConfig = SalesforceWriteConfig()


class ConnectorsConfig(_Strict):
    """The `[connectors]` table; the default reads everything from the workspace."""

    sources: SourcesConfig = SourcesConfig()
    hubspot: HubSpotConfig = Field(default_factory=HubSpotConfig)
    salesforce: SalesforceConfig | None = None
    zendesk: ZendeskConfig | None = None
    warehouse: WarehouseConfig | None = None
    gong: GongConfig = Field(default_factory=GongConfig)
    cache: CacheConfig = CacheConfig()
    http: HttpConfig = HttpConfig()
    enrichment: EnrichmentConfig = EnrichmentConfig()
    writeback: WritebackConfig = WritebackConfig()

    @model_validator(mode="after")
    def _configured(self) -> ConnectorsConfig:
        used = self.sources.by_source()
        for name, needs in (("salesforce", "instance_url"), ("zendesk", "subdomain"), ("warehouse", "table")):
            if name in used and getattr(self, name) is None:
                raise ValueError(f"sources use {name}: add a [connectors.{name}] table with at least {needs}")
        return self
