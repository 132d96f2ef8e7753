// ui://expansion-desk/proposal: renders build_proposal's structured result (a saved draft) with
// approve / decline buttons that call record_review through the host (tools/call).
window.renderResult = function (result) {
  const saved = result.structuredContent;
  const root = $("app"); root.replaceChildren();
  if (result.isError || !saved) { $("status").textContent = "The tool reported an error."; return; }
  const p = saved.proposal;
  $("status").textContent = "";
  const h = el("h1", p.account_name + " "); h.appendChild(el("small", p.account_id)); root.appendChild(h);
  const head = el("p");
  const status = el("strong", saved.status, "pill"); status.id = "proposal-status";
  head.append("Proposal ", el("code", saved.proposal_id), " · ", status, " · " + label(p.kind) + " · " + label(p.expansion_type) + " · " + money(p.proposed_expansion_value, p.currency) + " a year");
  root.appendChild(head);
  const charts = chartsOf(result);
  if (charts.value) root.appendChild(chart(charts.value, "Current and proposed annual recurring revenue"));
  const cols = el("div", null, "cols");
  const customer = el("section"); customer.id = "customer-summary";
  customer.appendChild(el("h2", "Customer summary"));
  for (const key of ["opening", "value_frame", "expansion_frame", "forward_look"]) customer.appendChild(el("p", p.customer_summary[key]));
  const internal = el("section"); internal.appendChild(el("h2", "Internal prep (CSM only)"));
  internal.appendChild(el("p", p.internal_prep.recommended_approach));
  internal.appendChild(el("p", "Discount authority: " + p.internal_prep.discount_authority, "muted"));
  internal.appendChild(el("p", "Timing: " + p.internal_prep.timing, "muted"));
  cols.append(customer, internal); root.appendChild(cols);
  root.appendChild(el("h2", "Your review"));
  const note = el("textarea"); note.id = "note"; note.rows = 2; note.placeholder = "Why, in your words";
  const approve = el("button", "Approve"); approve.id = "approve";
  const decline = el("button", "Decline", "secondary"); decline.id = "decline";
  const outcome = el("p"); outcome.id = "review-outcome"; outcome.setAttribute("aria-live", "polite");
  async function review(action) {
    approve.disabled = decline.disabled = true;
    outcome.textContent = "Recording…";
    try {
      const r = await request("tools/call", { name: "record_review", arguments: { proposal_id: saved.proposal_id, action, note: note.value } });
      if (r.isError) throw new Error((r.content ?? []).map((c) => c.text).join(" ") || "refused");
      status.textContent = r.structuredContent.status;
      outcome.textContent = "Recorded: " + r.structuredContent.status + ".";
      request("ui/update-model-context", { content: [{ type: "text", text: "The CSM marked proposal " + saved.proposal_id + " " + r.structuredContent.status + (note.value ? ": " + note.value : ".") }] }).catch(() => {});
    } catch (e) {
      outcome.textContent = "Not recorded: " + e.message;
      approve.disabled = decline.disabled = false;
    }
  }
  approve.addEventListener("click", () => review("approve"));
  decline.addEventListener("click", () => review("decline"));
  if (saved.status !== "draft") approve.disabled = decline.disabled = true;
  const bar = el("p"); bar.append(approve, " ", decline);
  root.append(note, bar, outcome);
};
