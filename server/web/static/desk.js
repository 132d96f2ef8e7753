// Progressive enhancement for the review page: every edit of the customer summary re-runs the
// SPEC §4 checks on the server and shows violations inline; Save stays disabled while any remain,
// and the review buttons wait until the edit is saved or reverted. Without JavaScript the Check
// and Save buttons do the same through the form.
(function () {
  "use strict";
  const form = document.getElementById("summary-form");
  if (!form) return;
  const areas = Array.from(form.querySelectorAll("textarea"));
  const save = document.getElementById("save-summary");
  const revert = document.getElementById("revert-summary");
  const state = document.getElementById("check-state");
  const reviewButtons = Array.from(document.querySelectorAll("#review-form button"));
  const hold = document.getElementById("review-hold");
  let timer = null;
  let sequence = 0;

  const edited = () => areas.some((a) => a.value !== a.dataset.saved);

  function showViolations(failures) {
    for (const area of areas) {
      const list = document.getElementById("violations-" + area.name);
      const mine = failures.filter((f) => f.field === area.name);
      list.replaceChildren(...mine.map((f) => {
        const li = document.createElement("li");
        li.textContent = f.name.replace(/_/g, " ") + ": " + f.detail;
        return li;
      }));
      area.classList.toggle("invalid", mine.length > 0);
    }
  }

  function refreshButtons(ok) {
    const dirty = edited();
    if (save) save.disabled = !ok || !dirty;
    if (revert) revert.hidden = !dirty;
    for (const b of reviewButtons) b.disabled = dirty;
    if (hold) hold.hidden = !dirty;
  }

  async function check() {
    const mine = ++sequence;
    const body = {};
    for (const a of areas) body[a.name] = a.value;
    state.textContent = "Checking…";
    const response = await fetch(form.dataset.checkUrl, {
      method: "POST",
      headers: {"content-type": "application/json", "x-csrf-token": form.dataset.csrf},
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (mine !== sequence) return;
    if (!response.ok) { state.textContent = "Could not check (" + response.status + ")."; refreshButtons(false); return; }
    const result = await response.json();
    showViolations(result.failures);
    state.textContent = result.ok ? (edited() ? "Every check passes." : "") :
      result.failures.length + (result.failures.length === 1 ? " problem" : " problems") + ": cannot be saved.";
    state.dataset.ok = String(result.ok);
    refreshButtons(result.ok);
  }

  for (const area of areas) {
    area.addEventListener("input", () => {
      refreshButtons(false);
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
  }
  if (revert) {
    revert.addEventListener("click", () => {
      for (const a of areas) a.value = a.dataset.saved;
      check();
    });
  }
  if (edited()) check(); else refreshButtons(true);
})();
