"""Shared by the web tests: a desk over a copy of the demo workspace whose first account has a hostile
name, a store in a temporary file, and CSRF tokens read from pages as a browser would."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from sqlalchemy import create_engine

from connectors.workspace import demo_workspace_path
from server.desk import Desk
from server.settings import Settings
from server.store import ProposalStore

HOSTILE = '<script>alert("owned")</script> Acme & Sons'
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def hostile_workspace(tmp: Path) -> Path:
    """The demo workspace with ACC-00001 renamed to markup; every other file as shipped."""
    target = tmp / "workspace"
    shutil.copytree(demo_workspace_path(), target)
    path = target / "accounts.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    for row in rows:
        if row["account_id"] == "ACC-00001":
            row["name"] = HOSTILE
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


def desk_and_store(tmp: Path) -> tuple[Desk, ProposalStore]:
    desk = Desk(Settings(workspace=hostile_workspace(tmp)))
    store = ProposalStore(create_engine(f"sqlite:///{tmp / 'proposals.sqlite3'}"))
    return desk, store


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)
