// The desk's privacy page for agents in HANDOFF_PRIVACY_AGENTS (handoff/privacy_api.py, docs/privacy.md):
// look a shopper up, download the export as JSON, erase after a dry run and a confirmation.
// Uses desk.js's api, el, $, revealFor and showSidePage; everything the stores answered goes in
// through textContent.
"use strict";

const PRIVACY_KINDS = { customer_id: "Customer id", email: "E-mail", phone: "Phone" };
let privacyExport = null; // { subject, document } of the last look-up

function privacyAccess() {
  return revealFor("privacy", "/desk/api/privacy/access", "officer");
}

function showPrivacy(open) {
  showSidePage("privacy", open);
  if (open) $("privacy-value").focus();
}

function privacySubject() {
  const value = $("privacy-value").value.trim();
  return value ? { [$("privacy-kind").value]: value } : null;
}

// Rows per store and table: lists are counted, the rest (notes such as matched_by) left out.
function privacyCounts(stores) {
  const rows = [];
  for (const [store, part] of Object.entries(stores)) {
    for (const [table, value] of Object.entries(part)) {
      if (Array.isArray(value)) rows.push([store, table, value.length]);
      else if (typeof value === "number") rows.push([store, table, value]);  // a count (analytics_stream)
    }
  }
  return rows;
}

function privacyTable(node, columns, rows) {
  const head = el("tr");
  head.append(...columns.map((c) => el("th", "", c)));
  node.replaceChildren(head, ...rows.map((row) => {
    const line = el("tr");
    line.append(...row.map((cell) => el("td", "", String(cell))));
    return line;
  }));
}

function privacyReset() {
  privacyExport = null;
  $("privacy-error").textContent = "";
  $("privacy-status").textContent = "";
  $("privacy-result").hidden = true;
  $("privacy-confirm").hidden = true;
  $("privacy-confirm-check").checked = false;
  $("privacy-erase-now").disabled = true;
}

async function privacyLookUp(event) {
  event.preventDefault();
  privacyReset();
  const subject = privacySubject();
  if (!subject) {
    $("privacy-error").textContent = "Enter a customer id, an e-mail address or a phone number.";
    return;
  }
  $("privacy-status").textContent = "looking up…";
  try {
    const document = await api("GET", "/desk/api/privacy/export?" + new URLSearchParams(subject));
    privacyExport = { subject, document };
  } catch (error) {
    $("privacy-status").textContent = "";
    $("privacy-error").textContent = error.message;
    return;
  }
  const { document } = privacyExport;
  const found = privacyCounts(document.stores).filter((row) => row[2] > 0);
  const total = found.reduce((sum, row) => sum + row[2], 0);
  $("privacy-status").textContent = total
    ? `${total} records found for ${PRIVACY_KINDS[$("privacy-kind").value]} ${$("privacy-value").value.trim()}`
    : "Nothing found about this shopper.";
  $("privacy-subject").textContent = Object.entries(document.subject)
    .filter(([, values]) => Array.isArray(values) && values.length)
    .map(([name, values]) => `${name}: ${values.join(", ")}`)
    .join(" · ");
  privacyTable($("privacy-found"), ["store", "records", "count"], found);
  $("privacy-result").hidden = false;
  $("privacy-erase").disabled = total === 0;
}

function privacyDownload() {
  if (!privacyExport) return;
  const blob = new Blob([JSON.stringify(privacyExport.document, null, 2)], { type: "application/json" });
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  link.download = `privacy-export-${privacyExport.document.generated_at.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function erasureRows(report) {
  const rows = [];
  for (const [store, part] of Object.entries(report.stores)) {
    for (const [what, tables] of Object.entries(part)) {
      for (const [table, count] of Object.entries(tables)) rows.push([store, table, what, count]);
    }
  }
  return rows;
}

async function privacyDryRun() {
  if (!privacyExport) return;
  $("privacy-error").textContent = "";
  try {
    const report = await api("POST", "/desk/api/privacy/erase", { ...privacyExport.subject, dry_run: true });
    privacyTable($("privacy-plan"), ["store", "records", "will be", "count"], erasureRows(report));
  } catch (error) {
    $("privacy-error").textContent = error.message;
    return;
  }
  $("privacy-confirm-check").checked = false;
  $("privacy-erase-now").disabled = true;
  $("privacy-confirm").hidden = false;
}

async function privacyEraseNow() {
  if (!privacyExport || !$("privacy-confirm-check").checked) return;
  $("privacy-error").textContent = "";
  $("privacy-erase-now").disabled = true;
  let report;
  try {
    report = await api("POST", "/desk/api/privacy/erase", { ...privacyExport.subject, dry_run: false });
  } catch (error) {
    $("privacy-error").textContent = error.message;
    $("privacy-erase-now").disabled = false;
    return;
  }
  const changed = erasureRows(report).reduce((sum, row) => sum + row[3], 0);
  privacyReset();
  $("privacy-status").textContent = `Erased: ${changed} records deleted or anonymised. A new look-up finds nothing personal.`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("privacy-toggle").addEventListener("click", () => showPrivacy($("privacy").hidden));
  $("privacy-form").addEventListener("submit", privacyLookUp);
  $("privacy-download").addEventListener("click", privacyDownload);
  $("privacy-erase").addEventListener("click", privacyDryRun);
  $("privacy-cancel").addEventListener("click", () => { $("privacy-confirm").hidden = true; });
  $("privacy-confirm-check").addEventListener("change", () => {
    $("privacy-erase-now").disabled = !$("privacy-confirm-check").checked;
  });
  $("privacy-erase-now").addEventListener("click", privacyEraseNow);
});
