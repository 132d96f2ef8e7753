"""Exported documents: the proposal as Markdown (internal prep, customer summary, the charts as inline
SVG images) and the customer summary as an `.eml` draft a CSM opens in their mail client."""

from __future__ import annotations

import base64
import html
from email.message import EmailMessage
from email.policy import SMTP

from server import charts
from server.proposals import render_markdown
from skills.proposal.schema import Proposal


def _image(title: str, svg: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    return f"![{title}](data:image/svg+xml;base64,{data})"


def markdown_export(proposal: Proposal) -> str:
    """Internal prep first (for the CSM), then the customer summary, then the charts."""
    internal, customer = render_markdown(proposal)
    value = charts.value_chart(proposal.current_arr, proposal.proposed_expansion_value, proposal.currency)
    signals = charts.signals_chart(proposal.signals, proposal.score, proposal.currency, proposal.current_arr)
    return (
        "\n\n".join(
            (
                internal.rstrip(),
                "---",
                customer.rstrip(),
                "---",
                "## Charts (internal)",
                _image("Annual recurring revenue, current and proposed", value),
                _image("Readiness signals, points earned of possible", signals),
            )
        )
        + "\n"
    )


def eml_export(proposal: Proposal, proposal_id: str) -> bytes:
    """An unsent email draft with the customer summary only: nothing internal goes in it."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = f"{proposal.account_name}: next steps"
    message["X-Unsent"] = "1"
    message["X-Expansion-Desk-Proposal"] = proposal_id
    message.set_content("\n\n".join(text for _, text in proposal.customer_summary) + "\n")
    paragraphs = "".join(f"<p>{html.escape(text)}</p>" for _, text in proposal.customer_summary)
    message.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
    return message.as_bytes()
