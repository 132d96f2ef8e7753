// ui://expansion-desk/account: renders score_account's structured result (an AccountAssessment).
window.renderResult = function (result) {
  const a = result.structuredContent;
  const root = $("app"); root.replaceChildren();
  if (result.isError || !a) { $("status").textContent = "The tool reported an error."; return; }
  $("status").textContent = "";
  const h = el("h1", a.name + " "); h.appendChild(el("small", a.account_id)); root.appendChild(h);
  const head = el("p");
  head.append(el("strong", a.score + " points"), " · ", el("span", label(a.tier), "pill tier"), " · offer ",
    el("strong", label(a.expansion_type)), " " + money(a.proposed_expansion_value, a.currency) + " a year · ARR " + money(a.current_arr, a.currency));
  root.appendChild(head);
  const gate = el("p");
  gate.append("Gate: ", el("strong", a.gate.passed ? "passed" : "failed", a.gate.passed ? "ok" : "bad"),
    " · Blockers: ", el("strong", String(a.blockers.length), a.blockers.length ? "bad" : "ok"));
  root.appendChild(gate);
  const charts = chartsOf(result);
  if (charts.signals) root.appendChild(chart(charts.signals, "Signals: points earned of possible"));
  if (charts.usage) root.appendChild(chart(charts.usage, "Active users (30 days) against licensed seats, 26 weeks"));
  if (charts.timeline) root.appendChild(chart(charts.timeline, "Triggers and the 90-day calendar"));
  root.appendChild(el("h2", "Signals"));
  const table = el("table"); table.id = "signals";
  for (const s of a.signals) {
    const row = el("tr", null, s.met ? "ok" : "");
    row.append(el("td", label(s.id)), el("td", s.points + " / " + s.weight), el("td", cited(s.source, s.evidence)));
    table.appendChild(row);
  }
  root.appendChild(table);
  const cols = el("div", null, "cols");
  const left = el("div"); left.appendChild(el("h2", "Gate and blockers"));
  const ul = el("ul");
  for (const r of a.gate.reasons) ul.appendChild(el("li", r, "bad"));
  for (const b of a.blockers) ul.appendChild(el("li", label(b.id) + ": " + b.detail, "bad"));
  if (!ul.children.length) ul.appendChild(el("li", "Gate passed, nothing blocks a conversation now.", "ok"));
  left.appendChild(ul);
  const right = el("div"); right.appendChild(el("h2", "Triggers"));
  const ol = el("ol");
  for (const t of a.triggers) ol.appendChild(el("li", (t.date ?? "undated") + " " + label(t.id) + ": " + cited(t.source, t.detail)));
  if (!ol.children.length) ol.appendChild(el("li", "No trigger yet."));
  right.appendChild(ol);
  cols.append(left, right); root.appendChild(cols);
  root.appendChild(el("h2", "90-day calendar"));
  const cal = el("table");
  for (const p of a.calendar.phases) { const r = el("tr"); r.append(el("td", "days " + p.days), el("td", p.start + " to " + p.end), el("td", p.action)); cal.appendChild(r); }
  root.appendChild(cal);
};
