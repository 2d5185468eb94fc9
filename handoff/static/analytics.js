// The desk's analytics page for lead agents (handoff/analytics_api.py). Uses desk.js's api, el, $,
// revealFor and showSidePage;
// text goes in through textContent, plots (SVG from the server) as data: images, never as markup.
"use strict";

const PLOTS = [
  ["conversations", "Conversations per channel"],
  ["rates", "Containment and fallback rate"],
  ["intents", "Intents over time"],
  ["frustration", "Frustrated messages"],
  ["waiting", "Waiting for an agent, first agent reply"],
  ["topics", "Unanswered topics"],
  ["coupons", "Goodwill coupons offered and redeemed"],
  ["recommendations", "Revenue influenced by recommendations, lists shown"],
];

function analyticsAccess() {
  return revealFor("analytics", "/desk/api/analytics/access", "lead");
}

function showAnalytics(open) {
  showSidePage("analytics", open);
  if (open) loadAnalytics();
}

function total(table, column) {
  const index = table.columns.indexOf(column);
  return table.rows.reduce((sum, row) => sum + (Number(row[index]) || 0), 0);
}

function percent(part, whole) {
  return whole ? `${Math.round((100 * part) / whole)} %` : "–";
}

function meanRating(table) {
  const ratings = table.columns.indexOf("ratings");
  const mean = table.columns.indexOf("satisfaction");
  const sum = table.rows.reduce((acc, row) => acc + (row[ratings] ? row[ratings] * row[mean] : 0), 0);
  return sum / Math.max(1, total(table, "ratings"));
}

function summaryFigure(label, value) {
  const box = el("div", "figure");
  box.append(el("strong", "", value), el("span", "meta", label));
  return box;
}

function tableRows(node, columns, rows) {
  const head = el("tr");
  head.append(...columns.map((c) => el("th", "", c)));
  node.replaceChildren(head, ...rows.map((row) => {
    const line = el("tr");
    line.append(...row.map((cell) => el("td", "", Array.isArray(cell) ? cell.join(" | ") : cell)));
    return line;
  }));
}

async function loadAnalytics() {
  $("analytics-error").textContent = "";
  $("analytics-meta").textContent = "loading…";
  let report;
  try {
    report = await api("GET", `/desk/api/analytics?grain=${$("analytics-grain").value}`);
  } catch (error) {
    $("analytics-meta").textContent = "";
    $("analytics-error").textContent = error.message;
    return;
  }
  const t = report.tables;
  const conversations = total(t.conversations, "conversations");
  $("analytics-meta").textContent = `since ${report.since.slice(0, 10)} · generated ${report.generated_at.slice(0, 16)} UTC`;
  $("analytics-summary").replaceChildren(
    summaryFigure("conversations", conversations),
    summaryFigure("contained (no person)", percent(conversations - total(t.conversations, "handed_off"), conversations)),
    summaryFigure("fallback rate", percent(total(t.messages, "fallbacks"), total(t.messages, "messages"))),
    summaryFigure("hand-offs", total(t.handoffs, "handoffs")),
    summaryFigure("goodwill coupons redeemed", `${total(t.coupons, "redeemed")} / ${total(t.coupons, "offered")}`),
    summaryFigure("recommendation lists shown", total(t.recommendations, "lists_shown")),
    summaryFigure("revenue influenced by recommendations",
      total(t.recommendations, "revenue_influenced").toFixed(2)),
  );
  $("analytics-plots").replaceChildren(...PLOTS.map(([name, title]) => {
    const figure = el("figure");
    figure.dataset.plot = name;
    figure.append(el("figcaption", "meta", title));
    const svg = report.plots[name];
    if (svg) {
      const image = el("img");
      image.alt = title;
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
      figure.append(image);
    } else {
      figure.append(el("p", "meta", "No data in this period."));
    }
    return figure;
  }));
  $("analytics-satisfaction").textContent = report.satisfaction_collected
    ? `Mean rating ${meanRating(t.conversations).toFixed(2)} (1–5) from ${total(t.conversations, "ratings")} ratings`
    : "Not collected yet: the assistant does not ask for a rating.";
  tableRows($("analytics-gaps"), ["topic", "times asked", "examples", "closest answer", "where to add one"],
    report.gaps.map((g) => [g.topic, g.count, g.examples, g.closest ? `${g.closest.kind} ${g.closest.key} (${g.similarity})` : "", g.suggestion]));
  tableRows($("analytics-reasons"), t.handoff_reasons.columns, t.handoff_reasons.rows);
}

document.addEventListener("DOMContentLoaded", () => {
  $("analytics-toggle").addEventListener("click", () => showAnalytics($("analytics").hidden));
  $("analytics-grain").addEventListener("change", () => loadAnalytics());
});
