// The MCP Apps bridge (SEP-1865, protocol 2026-01-26) without an SDK: JSON-RPC over postMessage with
// the host, theme from hostContext, size reports. Each app defines window.renderResult(result).
"use strict";
const PROTOCOL_VERSION = "2026-01-26";
const bridge = { nextId: 1, pending: new Map(), context: {} };
const post = (msg) => window.parent.postMessage(msg, "*");
function request(method, params) {
  const id = bridge.nextId++;
  return new Promise((resolve, reject) => {
    bridge.pending.set(id, { resolve, reject });
    post({ jsonrpc: "2.0", id, method, params: params ?? {} });
  });
}
const notify = (method, params) => post({ jsonrpc: "2.0", method, params: params ?? {} });
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
const CITATIONS = { crm: "Per CRM:", usage: "Per usage:", support: "Per support:", conversations: "Per conversations:", outcomes: "Per outcomes:", catalog: "Per catalog:" };
const cited = (source, text) => (CITATIONS[source] ?? "Per " + source + ":") + " " + text;
const label = (v) => String(v ?? "").replace(/_/g, " ");
const money = (v, currency) => currency + " " + Math.round(Number(v)).toLocaleString("en-US");
function applyContext(ctx) {
  bridge.context = { ...bridge.context, ...ctx };
  const root = document.documentElement;
  if (ctx.theme === "light" || ctx.theme === "dark") { root.dataset.theme = ctx.theme; root.style.colorScheme = ctx.theme; }
  for (const [k, v] of Object.entries(ctx.styles?.variables ?? {})) if (typeof v === "string") root.style.setProperty(k, v);
}
// Charts are SVG the server drew (server/charts.py); parsed as SVG, scripts and handlers dropped.
function chart(svgText, title) {
  const figure = el("figure");
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg") return figure;
  for (const bad of svg.querySelectorAll("script, foreignObject")) bad.remove();
  for (const node of svg.querySelectorAll("*")) for (const a of [...node.attributes]) if (a.name.startsWith("on")) node.removeAttribute(a.name);
  figure.appendChild(document.importNode(svg, true));
  figure.appendChild(el("figcaption", title));
  return figure;
}
const chartsOf = (result) => (result._meta ?? {})["expansion-desk/charts"] ?? {};
let lastH = 0;
function reportSize() {
  const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (h !== lastH) { lastH = h; notify("ui/notifications/size-changed", { width: Math.ceil(window.innerWidth), height: h }); }
}
window.addEventListener("message", (event) => {
  if (event.source !== window.parent) return;
  const msg = event.data;
  if (!msg || msg.jsonrpc !== "2.0") return;
  if (msg.method === undefined) {
    const p = bridge.pending.get(msg.id); if (!p) return; bridge.pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error.message)); else p.resolve(msg.result);
  } else if (msg.id !== undefined) {
    const known = msg.method === "ping" || msg.method === "ui/resource-teardown";
    post(known ? { jsonrpc: "2.0", id: msg.id, result: {} } : { jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } });
  } else if (msg.method === "ui/notifications/tool-result") {
    try { window.renderResult(msg.params ?? {}); } catch (e) { $("status").textContent = "Cannot show this result: " + e.message; }
  } else if (msg.method === "ui/notifications/tool-cancelled") {
    $("status").textContent = "Cancelled" + (msg.params?.reason ? ": " + msg.params.reason : ".");
  } else if (msg.method === "ui/notifications/host-context-changed") {
    applyContext(msg.params ?? {});
  }
});
(async () => {
  const init = await request("ui/initialize", {
    protocolVersion: PROTOCOL_VERSION, appInfo: { name: document.body.dataset.app, version: "1.0.0" },
    appCapabilities: { availableDisplayModes: ["inline"] },
  });
  applyContext(init.hostContext ?? {});
  notify("ui/notifications/initialized", {});
  $("status").textContent = "Waiting for the tool result…";
  new ResizeObserver(reportSize).observe(document.documentElement);
  reportSize();
})().catch((e) => { $("status").textContent = "Could not connect to the host: " + e.message; });
