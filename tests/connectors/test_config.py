"""ConnectorsConfig: workspace by default, which source may serve which kind, partial mappings, secrets by name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.config import (
    HUBSPOT_ACCOUNT_FIELDS,
    ConnectorsConfig,
    HubSpotConfig,
    SalesforceConfig,
    env_secret,
)
from connectors.errors import SourceError
from server.settings import ExtractionSettings

DOCS = Path(__file__).parents[2] / "docs" / "connectors.md"


def test_default_reads_everything_from_the_workspace() -> None:
    config = ConnectorsConfig()
    assert config.sources.by_source() == {"workspace": ("crm", "usage", "tickets", "conversations", "outcomes")}
    assert (config.cache.ttl_seconds, config.cache.max_accounts) == (300, 256)
    assert (config.http.max_concurrency, config.http.max_attempts, config.http.max_backoff_s) == (4, 5, 30)


@pytest.mark.parametrize(("sources", "message"), [
    ({"crm": "zendesk"}, "crm cannot come from zendesk; choose one of hubspot, salesforce, workspace"),
    ({"usage": "hubspot"}, "usage cannot come from hubspot; choose one of warehouse, workspace"),
    ({"conversations": "salesforce"}, "conversations cannot come from salesforce; choose one of gong, workspace"),
    ({"tickets": "warehouse"}, "tickets cannot come from warehouse"),
    ({"crm": "salesforce"}, r"sources use salesforce: add a \[connectors.salesforce\] table with at least instance_url"),
    ({"tickets": "zendesk"}, r"add a \[connectors.zendesk\] table"),
    ({"usage": "warehouse"}, r"add a \[connectors.warehouse\] table with at least table"),
])  # fmt: skip
def test_sources_serve_only_their_kinds(sources: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ConnectorsConfig.model_validate({"sources": sources})


def test_a_partial_field_mapping_keeps_the_other_defaults() -> None:
    config = HubSpotConfig.model_validate(
        {"account_fields": {"seats_licensed": "licensed_seats", "currency": "currency"}}
    )
    assert config.account_fields == {
        **HUBSPOT_ACCOUNT_FIELDS,
        "seats_licensed": "licensed_seats",
        "currency": "currency",
    }
    assert HubSpotConfig().account_fields["seats_licensed"] == "seats_licensed"


@pytest.mark.parametrize(("fields", "message"), [
    ({"account_fields": {"seats": "x"}}, "account_fields: unknown field"),
    ({"account_fields": {"arr": ""}}, "required field.* arr must name a vendor field"),
    ({"contact_fields": {"phone": "phone"}}, "contact_fields: unknown field"),
    ({"roles": {"CHAMPION": "hero"}}, "roles"),
    ({"token": "pat-na1-oops"}, "Extra inputs are not permitted"),
    ({"token_env": "HUBSPOT TOKEN"}, "token_env"),
])  # fmt: skip
def test_mapping_mistakes_are_caught_at_start_up(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        HubSpotConfig.model_validate(fields)


def test_salesforce_needs_an_instance_url() -> None:
    with pytest.raises(ValidationError, match="instance_url"):
        SalesforceConfig.model_validate({})
    assert SalesforceConfig(instance_url="https://acme.my.salesforce.com").account_fields["arr"] == "ARR__c"


def test_secrets_are_read_from_the_named_variable_and_stay_hidden() -> None:
    secret = env_secret("MY_TOKEN", "hubspot", {"MY_TOKEN": " pat-na1-abc "})
    assert secret.get_secret_value() == "pat-na1-abc" and "pat-na1" not in repr(secret)
    with pytest.raises(SourceError, match="hubspot: environment variable MY_TOKEN is not set"):
        env_secret("MY_TOKEN", "hubspot", {"MY_TOKEN": ""})


def test_every_toml_example_in_the_docs_is_a_valid_config() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 10  # 5 source examples, Gong, extraction, enrichment (short and long form), write-back
    for block in blocks:
        data = tomllib.loads(block)
        if "extraction" in data:
            ExtractionSettings.model_validate(data["extraction"])
            continue
        table = data["connectors"]
        needed = {"salesforce": {"instance_url": "https://x.my.salesforce.com"}, "zendesk": {"subdomain": "x"},
                  "warehouse": {"table": "events"}}  # fmt: skip
        ConnectorsConfig.model_validate({**{k: v for k, v in needed.items() if k not in table}, **table})
