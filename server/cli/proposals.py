"""The proposal commands: `propose`, `show`, `queue`, `review`, `history`, `insights`, `schema`.

Registered on the `expansion-desk` group by server/cli/app.py, like every module's `COMMANDS`.
Documents go to stdout (pipeable Markdown or JSON); notes such as the saved proposal id go to stderr.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from server.calibration import current_calibration
from server.cli.common import ONE_ACCOUNT, data_options, emit_json, err, open_desk, out, user_errors
from server.cli.portfolio import print_outcomes
from server.cli.push import push_reviewed
from server.outcomes import DEFAULT_LEAD_DAYS, deal_outcomes
from server.proposals import (
    DRAFTERS,
    DrafterChoice,
    TemplateDraftError,
    build_proposal,
    proposal_queue,
    record_review,
    render_markdown,
    with_id,
)
from server.settings import load_settings
from server.store import ApprovalRate, ProposalRecord, ProposalStore
from skills.catalog import EXPANSION_TYPES, ExpansionType
from skills.evidence import money
from skills.proposal.schema import schema_json

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def proposal_errors() -> Iterator[None]:
    """`user_errors`, plus a template draft that failed its own checks (a bug, reported without a traceback)."""
    with user_errors():
        try:
            yield
        except TemplateDraftError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(2)


def file_stem(text: str) -> str:
    """A file name from an id that comes from the data: letters, digits, `.`, `_` and `-` only, so an
    account id such as `../../x/pwned` cannot name a path outside the folder."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:120]
    return stem or "proposal"


def write_inside(folder: Path, name: str, text: str) -> None:
    """Write `folder/name`, creating `folder`; refuse any name that would land outside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise ValueError(f"refusing to write {name!r}: it would land outside {folder}")
    target.write_text(text, encoding="utf-8")


def config_option(func: F) -> F:
    return click.option(
        "--config", "config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file."
    )(func)


def open_store(config: Path | None) -> ProposalStore:
    return ProposalStore.from_settings(load_settings(config))


@click.command()
@click.argument("account_id")
@data_options
@click.option("--type", "expansion_type", type=click.Choice(EXPANSION_TYPES), help="Offer this type instead.")
@click.option(
    "--drafter", type=click.Choice(DRAFTERS), help="Default: settings (Claude when ANTHROPIC_API_KEY is set)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the proposal JSON instead of Markdown.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write <id>-internal.md, <id>-customer.md and <id>.json into this folder.",
)
@click.option("--no-save", is_flag=True, help="Do not store the draft for review.")
def propose(
    account_id: str,
    workspace: Path | None,
    config: Path | None,
    as_of: str | None,
    expansion_type: ExpansionType | None,
    drafter: DrafterChoice | None,
    as_json: bool,
    out_dir: Path | None,
    no_save: bool,
) -> None:
    """Build a checked draft proposal: internal prep for the CSM and the customer summary."""
    with proposal_errors():
        desk = open_desk(workspace, config, ONE_ACCOUNT)
        proposal = build_proposal(desk, account_id, expansion_type, as_of, drafter, current_calibration(desk))
        proposal_id = None if no_save else ProposalStore.from_settings(desk.settings).save(proposal)
        internal, customer = render_markdown(proposal)
        if out_dir is not None:
            stem = file_stem(proposal_id or f"{proposal.account_id}-{proposal.as_of}")
            write_inside(out_dir, f"{stem}-internal.md", internal)
            write_inside(out_dir, f"{stem}-customer.md", customer)
            write_inside(out_dir, f"{stem}.json", proposal.model_dump_json(indent=2) + "\n")
        if as_json:
            emit_json(with_id(proposal, proposal_id, "draft" if proposal_id else "unsaved"))
        else:
            click.echo(f"{internal}\n---\n\n{customer}".rstrip("\n"))
        by = proposal.drafted_by
        err.print(
            f"drafted by {by.drafter}{f' ({by.model})' if by.model else ''}"
            + (f" — fallback: {by.fallback_reason}" if by.fallback_reason else ""),
            highlight=False,
        )
        if proposal_id:
            err.print(f"saved draft proposal {proposal_id} — record the CSM's decision with: review {proposal_id}")


@click.command()
@click.argument("proposal_id")
@click.option("--approve", is_flag=True, help="Approve the draft.")
@click.option("--decline", is_flag=True, help="Decline the draft (or an approved proposal).")
@click.option("--sent", is_flag=True, help="Mark an approved proposal as sent to the customer.")
@click.option("--note", default="", help="Why: kept with the review.")
@click.option("--reviewer", default=None, help="Who decided.")
@click.option("--push", is_flag=True, help="Then create or update the opportunity in the CRM (shows the diff first).")
@click.option("--yes", "assume_yes", is_flag=True, help="With --push: write without asking (for scripts).")
@config_option
def review(
    proposal_id: str,
    approve: bool,
    decline: bool,
    sent: bool,
    note: str,
    reviewer: str | None,
    push: bool,
    assume_yes: bool,
    config: Path | None,
) -> None:
    """Record the CSM's decision: draft → approved → sent, or declined; --push writes an approved one to the CRM."""
    actions = [name for name, on in (("approve", approve), ("decline", decline), ("sent", sent)) if on]
    if len(actions) > 1 or (not actions and not push):
        raise click.UsageError("give exactly one of --approve, --decline or --sent (or --push alone)")
    with proposal_errors():
        if actions:
            done = record_review(open_store(config), proposal_id, actions[0], note, reviewer)
            out.print(f"proposal {done.proposal_id} is now {done.status}", highlight=False)
        if push:
            push_reviewed(proposal_id, config, assume_yes)


def _value(r: ProposalRecord) -> str:
    return "—" if r.value is None else money(r.value, r.currency or "")


@click.command()
@click.argument("account_id")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def history(account_id: str, config: Path | None, as_json: bool) -> None:
    """An account's stored proposals, newest first, with value, status and review notes."""
    with proposal_errors():
        rows = open_store(config).history(account_id)
        if as_json:
            emit_json(rows)
            return
        table = Table(title=f"Proposals for {account_id}")
        for column in ("Proposal", "Created", "As of", "Kind", "Type", "Value", "Drafter", "Status", "Review notes"):
            table.add_column(column)
        for r in rows:
            created = r.created_at.strftime("%Y-%m-%d %H:%M")
            status = f"{r.status} by {r.superseded_by}" if r.superseded_by else r.status
            notes = "; ".join(r.review_notes) or "—"
            table.add_row(r.id, created, str(r.as_of), r.kind, r.expansion_type, _value(r), r.drafter, status, notes)
        out.print(table if rows else f"no stored proposals for {account_id}")


@click.command()
@click.argument("proposal_id")
@config_option
@click.option("--json", "as_json", is_flag=True, help="The stored proposal JSON with its id, status and reviews.")
def show(proposal_id: str, config: Path | None, as_json: bool) -> None:
    """A stored proposal again: both documents (Markdown), or its JSON."""
    with proposal_errors():
        stored = open_store(config).get(proposal_id)
        if as_json:
            emit_json(stored)
            return
        internal, customer = render_markdown(stored.proposal)
        r = stored.record
        header = f"Proposal {r.id} · {r.status} · created {r.created_at:%Y-%m-%d %H:%M} UTC"
        notes = "".join(f"\n- Review: {n}" for n in r.review_notes)
        click.echo(f"{header}{notes}\n\n{internal}\n---\n\n{customer}".rstrip("\n"))


@click.command()
@config_option
@click.option("--csm", default=None, help="Only this CSM's drafts.")
@click.option("--tier", default=None, help="Only drafts of accounts in this readiness tier.")
@click.option("--type", "expansion_type", type=click.Choice(EXPANSION_TYPES), help="Only this offer type.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def queue(config: Path | None, csm: str | None, tier: str | None, expansion_type: str | None, as_json: bool) -> None:
    """Drafts awaiting review across accounts, oldest first: value, age and CSM."""
    with proposal_errors():
        store = open_store(config)
        rows = proposal_queue(store, csm=csm, tier=tier, expansion_type=expansion_type)
        if as_json:
            emit_json(rows)
            return
        now = store.now()
        table = Table(title="Drafts awaiting review")
        for column in ("Proposal", "Account", "CSM", "Tier", "Type", "Kind", "Value", "Age (days)"):
            table.add_column(column, justify="right" if column in ("Value", "Age (days)") else "left")
        for r in rows:
            table.add_row(
                r.id,
                r.account_id,
                r.csm_owner or "—",
                r.tier or "—",
                r.expansion_type,
                r.kind,
                _value(r),
                str(r.age_days(now)),
            )
        out.print(table if rows else "no drafts awaiting review")


def _rates_table(title: str, rows: tuple[ApprovalRate, ...]) -> Table:
    table = Table(title=title)
    for column in ("", "Proposals", "Approved", "Declined", "Pending", "Approval rate"):
        table.add_column(column, justify="left" if not column else "right")
    for r in rows:
        rate = "—" if r.approval_rate is None else f"{r.approval_rate:.0%}"
        table.add_row(r.key, str(r.proposals), str(r.approved), str(r.declined), str(r.pending), rate)
    return table


@click.command()
@data_options
@click.option(
    "--lead-days",
    type=click.IntRange(min=0),
    default=DEFAULT_LEAD_DAYS,
    show_default=True,
    help="Read a deal with no stored proposal as the account stood this many days before it closed.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def insights(workspace: Path | None, config: Path | None, as_of: str | None, lead_days: int, as_json: bool) -> None:
    """Which triggers and expansion types get approved, and which preceded won expansion deals."""
    with proposal_errors():
        store = open_store(config)
        found = store.insights()
        desk = open_desk(workspace, config)
        learned = deal_outcomes(desk, store, desk.as_of(as_of), lead_days)
        if as_json:
            emit_json({**found.model_dump(mode="json"), "outcomes": learned.model_dump(mode="json")})
            return
        out.print(_rates_table("Approval by trigger", found.by_trigger))
        out.print(_rates_table("Approval by expansion type", found.by_expansion_type))
        print_outcomes(learned)


@click.command()
def schema() -> None:
    """Print the proposal's JSON schema."""
    click.echo(schema_json(), nl=False)


COMMANDS = (propose, show, queue, review, history, insights, schema)
