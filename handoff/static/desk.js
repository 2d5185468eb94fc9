// Agent desk: vanilla JS, no build step. All text goes in through textContent (never innerHTML).
"use strict";

const PRIORITY = { 1: "low", 2: "normal", 3: "high", 4: "urgent" };
const state = { me: null, current: null, ticket: null, socket: null, retryDelay: 500 };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (_) { data = {}; }
  if (response.status === 401 && path !== "/desk/api/login") { showLogin(); }
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function showLogin() {
  state.me = null;
  if (state.socket) { state.socket.onclose = null; state.socket.close(); state.socket = null; }
  $("desk").hidden = true;
  $("login").hidden = false;
  $("login-name").focus();
}

// -- pages beside the queue (analytics.js, privacy.js) ------------------------------------------

const SIDE_PAGES = { analytics: "Analytics", privacy: "Privacy" };  // page id -> its button's label

async function revealFor(page, accessPath, role) {
  // The page's button shows only when the desk says this agent has the role; the desk works without it.
  $(`${page}-toggle`).hidden = true;
  try {
    const access = await api("GET", accessPath);
    $(`${page}-toggle`).hidden = !access[role];
  } catch (_) { /* not shown */ }
}

function showSidePage(page, open) {
  // One page at a time: opening one closes the others and hides the queue.
  for (const [other, label] of Object.entries(SIDE_PAGES)) {
    $(other).hidden = !(open && other === page);
    $(`${other}-toggle`).textContent = open && other === page ? "Back to the queue" : label;
  }
  $("workspace").hidden = open;
}

async function showDesk(me) {
  state.me = me;
  $("me").textContent = me.display_name;
  $("login").hidden = true;
  $("desk").hidden = false;
  analyticsAccess();  // analytics.js: shows the Analytics button to lead agents
  privacyAccess();  // privacy.js: shows the Privacy button to privacy agents
  connect();
  await refreshQueue();
}

// -- queue ------------------------------------------------------------------------------------

function age(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function ticketItem(ticket) {
  const item = el("li", ticket.ticket_id === state.current ? "selected" : "");
  item.dataset.ticketId = ticket.ticket_id;
  const title = el("div", "title");
  title.append(el("span", `prio prio-${ticket.priority}`, PRIORITY[ticket.priority]));
  const who = ticket.customer.name || ticket.customer.email || "Guest";
  title.append(document.createTextNode(`#${ticket.ticket_id} ${who}`));
  item.append(title);
  item.append(el("div", "meta", `${ticket.status.replace("_", "-")} · ${ticket.channel} · ${age(ticket.created_at)}`));
  item.append(el("div", "summary", ticket.summary));
  item.addEventListener("click", () => openTicket(ticket.ticket_id));
  return item;
}

async function refreshQueue() {
  const data = await api("GET", "/desk/api/queue");
  $("queue").replaceChildren(...data.tickets.map(ticketItem));
  $("mine").replaceChildren(...data.mine.map(ticketItem));
  $("queue-count").textContent = data.tickets.length;
  $("agents-online").textContent = data.agents_online;
}

// -- one conversation -------------------------------------------------------------------------

function messageItem(message) {
  const item = el("li", `msg msg-${message.role}`);
  item.dataset.messageId = message.id;
  const label = { user: "Shopper", bot: "Assistant", agent: message.author || "Agent", note: `Note · ${message.author || ""}`,
                  system: "" }[message.role];
  if (label) item.append(el("span", "who", `${label} · ${new Date(message.created_at).toLocaleTimeString()}`));
  item.append(el("span", "text", message.role === "system" && message.kind === "release"
    ? `${message.author || "Agent"} handed the conversation back to the assistant` : message.text));
  if (message.role === "agent" || message.role === "system") {
    if (message.delivered) {
      item.append(el("span", "status delivered", message.delivered_as === "stored" ? "✓ stored for the shopper" : "✓ delivered"));
    } else if (message.delivery_error) {
      item.classList.add("undelivered");
      const status = el("span", "status undelivered-status", `Not delivered: ${message.delivery_error}. `);
      const retry = el("button", "secondary retry", "Retry");
      retry.type = "button";
      retry.addEventListener("click", () => retryMessage(message.id));
      status.append(retry);
      item.append(status);
    } else {
      item.append(el("span", "status sending", "sending…"));
    }
  }
  return item;
}

function upsertMessage(message) {
  if (!state.ticket || message.ticket_id !== state.current) return;
  const list = $("transcript");
  const existing = list.querySelector(`[data-message-id="${message.id}"]`);
  const item = messageItem(message);
  if (existing) existing.replaceWith(item); else { list.append(item); list.scrollTop = list.scrollHeight; }
}

function renderTicket(ticket) {
  state.ticket = ticket;
  $("empty").hidden = true;
  $("conversation").hidden = false;
  const who = ticket.customer.name || ticket.customer.email || "Guest shopper";
  $("conv-title").textContent = `#${ticket.ticket_id} · ${who}`;
  const holder = ticket.assigned_agent ? ` · held by ${ticket.assigned_agent}` : "";
  $("conv-meta").textContent = `${PRIORITY[ticket.priority]} priority · ${ticket.status.replace("_", "-")}${holder} · ` +
    `${ticket.channel} · reason: ${ticket.reason.replace("_", " ")} · frustration ${ticket.frustration.toFixed(2)}`;
  const mine = ticket.status === "held" && state.me && ticket.assigned_agent === state.me.name;
  $("take").hidden = !(ticket.status === "waiting" || ticket.status === "follow_up");
  $("close").hidden = !mine;
  $("reply-form").hidden = !mine;
  $("note-form").hidden = ticket.status === "closed";
  $("summary").textContent = ticket.summary;
  const customer = $("customer");
  customer.replaceChildren();
  for (const [key, value] of Object.entries(ticket.customer)) {
    if (value) customer.append(el("dt", "", key), el("dd", "", value));
  }
  if (!customer.children.length) customer.append(el("dd", "", "guest (no account)"));
  const order = ticket.order;
  $("order").textContent = order
    ? `#${order.number}${order.status ? " · " + order.status : ""}${order.total != null ? " · " + order.total + " " + (order.currency || "") : ""}`
    : "none";
  $("sentiment").replaceChildren(...ticket.sentiment_history.map((point) =>
    el("li", "", `${point.label || ""} ${Number(point.score).toFixed(2)}${point.timestamp ? " · " + new Date(
      typeof point.timestamp === "number" ? point.timestamp * 1000 : point.timestamp).toLocaleTimeString() : ""}`)));
  $("transcript").replaceChildren(...ticket.messages.map(messageItem));
  $("transcript").scrollTop = $("transcript").scrollHeight;
  for (const item of document.querySelectorAll(".tickets li")) {
    item.classList.toggle("selected", Number(item.dataset.ticketId) === ticket.ticket_id);
  }
}

async function openTicket(id) {
  state.current = id;
  $("conv-error").textContent = "";
  try {
    renderTicket(await api("GET", `/desk/api/tickets/${id}`));
  } catch (error) {
    $("conv-error").textContent = error.message;
    return;
  }
  loadOrders(id);
}

async function loadOrders(id) {
  $("orders").replaceChildren();
  $("orders-note").textContent = "loading…";
  try {
    const data = await api("GET", `/desk/api/tickets/${id}/orders`);
    if (state.current !== id) return;
    $("orders-note").textContent = data.note || (data.orders.length ? "" : "no orders");
    $("orders").replaceChildren(...data.orders.map((o) =>
      el("li", "", `#${o.number} · ${o.status} · ${o.total} ${o.currency} · ${o.items.join(", ")}`)));
  } catch (error) {
    $("orders-note").textContent = `Orders unavailable: ${error.message}`;
  }
}

async function act(action) {
  $("conv-error").textContent = "";
  try {
    await action();
  } catch (error) {
    $("conv-error").textContent = error.message;
  }
}

async function retryMessage(id) {
  await act(async () => upsertMessage(await api("POST", `/desk/api/messages/${id}/retry`, {})));
}

// -- live updates -----------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/desk/ws`);
  state.socket = socket;
  socket.onopen = () => {
    state.retryDelay = 500;
    $("connection").textContent = "live";
    $("connection").className = "connection online";
    refreshQueue().catch(() => {});
    if (state.current) openTicket(state.current);
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "queue") refreshQueue().catch(() => {});
    else if (data.type === "message") upsertMessage(data.message);
    else if (data.type === "ticket") {
      if (data.ticket.ticket_id === state.current) openTicket(state.current);
      refreshQueue().catch(() => {});
    } else if (data.type === "agents" || data.type === "hello") $("agents-online").textContent = data.agents_online;
  };
  socket.onclose = (event) => {
    $("connection").textContent = "offline";
    $("connection").className = "connection offline";
    if (state.socket !== socket || !state.me) return;
    if (event.code === 4001) { showLogin(); return; }
    setTimeout(() => { if (state.me && state.socket === socket) connect(); }, state.retryDelay);
    state.retryDelay = Math.min(state.retryDelay * 2, 10000);
  };
}

// -- wiring -----------------------------------------------------------------------------------

function init() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const me = await api("POST", "/desk/api/login", { name: $("login-name").value, password: $("login-password").value });
      $("login-password").value = "";
      await showDesk(me);
    } catch (error) {
      $("login-error").textContent = error.message;
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/desk/api/logout", {}); } catch (_) { /* logged out anyway */ }
    state.current = null;
    showLogin();
  });
  $("take").addEventListener("click", () => act(async () => {
    renderTicket(await api("POST", `/desk/api/tickets/${state.current}/take`, {}));
    await refreshQueue();
  }));
  $("close").addEventListener("click", () => act(async () => {
    renderTicket(await api("POST", `/desk/api/tickets/${state.current}/close`, {}));
    await refreshQueue();
  }));
  $("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    act(async () => {
      const message = await api("POST", `/desk/api/tickets/${state.current}/messages`, { text });
      $("reply-text").value = "";
      upsertMessage(message);
    });
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("reply-form").requestSubmit(); }
  });
  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return;
    act(async () => {
      upsertMessage(await api("POST", `/desk/api/tickets/${state.current}/notes`, { text }));
      $("note-text").value = "";
    });
  });
  api("GET", "/desk/api/me").then(showDesk, showLogin);
}

document.addEventListener("DOMContentLoaded", init);
