// The specdouble console: reads and changes the mock through its admin API
// (specs/admin.yaml). Plain DOM code, no framework, no build step. Every value
// from the server reaches the page as text (textContent / text nodes), never as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "specdouble.adminToken";
  const POLL_MS = 1500;
  const JOURNAL_LIMIT = 200;
  const $ = (id) => document.getElementById(id);
  let entries = new Map(); // the journal entries shown, by id
  let selected = null; // the id of the entry shown in detail
  const operations = new Set();
  let polling = false; // the journal is polled while the console is open
  let timer = null;
  const shown = {}; // the last answer rendered per panel: unchanged answers are not redrawn

  // --- DOM and HTTP helpers ------------------------------------------------------------

  /** An element with properties, listeners (onclick...) and text or element children. */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "href") node.href = /^\/(?!\/)/.test(value) ? value : "#"; // this server only
      else if (key === "class") node.className = value;
      else node[key] = value;
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
    return node;
  }

  function fill(tbody, rows, emptyText, columns) {
    tbody.replaceChildren(...rows);
    if (!rows.length) tbody.append(el("tr", {}, el("td", { colSpan: columns, class: "muted" }, emptyText)));
  }

  class ApiError extends Error {
    constructor(status, message, details) {
      super(message);
      this.status = status;
      this.details = details;
    }
  }

  /** One admin call: the token if any, JSON in (Content-Type on every change) and out. */
  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (method !== "GET") headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.message) || `HTTP ${response.status}`,
        (data && Array.isArray(data.details)) ? data.details : []);
    }
    return data;
  }

  function notify(text, isError = false) {
    const notice = $("notice");
    notice.replaceChildren(text);
    notice.className = isError ? "error" : "info";
    notice.hidden = false;
  }

  function fail(err) {
    if (err instanceof ApiError && err.status === 401) return askToken(true);
    if (!(err instanceof ApiError)) return notify(`The server did not answer (${err.message}).`, true);
    const details = err.details.length ? `: ${err.details.join("; ")}` : "";
    notify(`${err.message}${details}`, true);
  }

  /** Runs an action from a button or form, reporting its error instead of throwing. */
  const guarded = (action) => async (event) => {
    if (event) event.preventDefault();
    try { await action(event); } catch (err) { fail(err); }
  };

  const tenantPath = (name) => encodeURIComponent(name);

  /** False when ``data`` is what ``panel`` shows already (redrawing would eat clicks). */
  function changed(panel, data) {
    const text = JSON.stringify(data);
    if (shown[panel] === text) return false;
    shown[panel] = text;
    return true;
  }

  // --- token ---------------------------------------------------------------------------

  function askToken(refused) {
    polling = false;
    clearTimeout(timer);
    $("main").hidden = true;
    $("nav").hidden = true;
    $("login").hidden = false;
    if (refused && sessionStorage.getItem(TOKEN_KEY)) notify("The admin token was refused.", true);
    sessionStorage.removeItem(TOKEN_KEY);
    $("login").elements.token.focus();
  }

  async function start() {
    let health;
    try {
      health = await api("/__admin/health");
    } catch (err) {
      return fail(err);
    }
    $("login").hidden = true;
    $("notice").hidden = true;
    $("server").textContent = `version ${health.version}, seed ${health.seed}`;
    $("forget-token").hidden = !sessionStorage.getItem(TOKEN_KEY);
    await Promise.all([loadServices(), loadTenants(), loadFaults(), loadJournal()]);
    $("main").hidden = false;
    $("nav").hidden = false;
    polling = true;
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (polling) timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if ($("journal-filter").elements.live.checked && !document.hidden) {
      try { await Promise.all([loadJournal(), loadFaults(), loadTenants()]); } catch (err) { fail(err); }
    }
    schedule();
  }

  // --- services ------------------------------------------------------------------------

  /** The path glob of a service for the journal filter: its paths' first segment. */
  function serviceGlob(service) {
    const firsts = new Set(service.paths.map((p) => p.split("/")[1]));
    return firsts.size === 1 ? `/${[...firsts][0]}/*` : null;
  }

  async function loadServices() {
    const index = await api("/");
    const services = index.services;
    fill($("services-rows"), services.map((s) => el("tr", {},
      el("td", {}, s.title, el("div", { class: "muted" }, s.name)),
      el("td", {}, el("a", { href: s.docs }, "Swagger UI")),
      el("td", {}, el("a", { href: s.spec }, "JSON")),
      el("td", {}, el("details", {}, el("summary", {}, `${s.paths.length} path${s.paths.length === 1 ? "" : "s"}`),
        el("ul", {}, ...s.paths.map((p) => el("li", {}, p))))))), "No services.", 4);
    const select = $("journal-filter").elements.service;
    for (const s of services) {
      const glob = serviceGlob(s);
      if (glob && !glob.startsWith("/__admin")) select.append(el("option", { value: glob }, s.title));
    }
    // Operation ids for the filter and the fault form, from each served spec.
    const specs = await Promise.all(services.filter((s) => s.name !== "admin")
      .map((s) => api(s.spec).catch(() => ({ paths: {} }))));
    for (const spec of specs) {
      for (const item of Object.values(spec.paths || {})) {
        for (const op of Object.values(item)) if (op && op.operationId) operations.add(op.operationId);
      }
    }
    showOperations();
  }

  function showOperations() {
    const list = $("operations");
    if (list.children.length === operations.size) return;
    list.replaceChildren(...[...operations].sort().map((id) => el("option", { value: id })));
  }

  // --- journal -------------------------------------------------------------------------

  function journalQuery() {
    const form = $("journal-filter").elements;
    const query = new URLSearchParams({ limit: JOURNAL_LIMIT });
    if (form.service.value) query.set("path", form.service.value);
    const status = Number(form.status.value);
    if (form.status.value && status >= 100 && status <= 599) query.set("status", status);
    if (form.operationId.value.trim()) query.set("operationId", form.operationId.value.trim());
    if (form.tenant.value) query.set("tenant", form.tenant.value);
    return query;
  }

  function marks(entry) {
    const out = [];
    if (entry.forced) out.push(el("span", { class: "badge forced" }, "forced"));
    if (entry.fault) out.push(el("span", { class: "badge fault" }, entry.fault));
    if (!entry.validation.passed) out.push(el("span", { class: "badge invalid" }, "invalid"));
    if (entry.conformance && entry.conformance.violations.length) {
      out.push(el("span", { class: "badge invalid" }, "nonconforming"));
    }
    return out;
  }

  const statusClass = (s) => (s === null ? "s5" : `s${String(s)[0]}`);

  async function loadJournal() {
    const journal = await api(`/__admin/requests?${journalQuery()}`);
    if (!changed("journal", journal)) return;
    entries = new Map(journal.requests.map((e) => [e.id, e]));
    $("journal-count").textContent = `(${journal.count} shown, newest first; keeps ${journal.capacity})`;
    fill($("journal-rows"), journal.requests.map((e) => {
      if (e.operationId) operations.add(e.operationId);
      return el("tr", { class: e.id === selected ? "selected" : "", onclick: () => showEntry(e.id) },
        el("td", {}, e.id), el("td", {}, e.time.slice(11, 23)), el("td", {}, e.method),
        el("td", { class: "path" }, e.query ? `${e.path}?${e.query}` : e.path),
        el("td", { class: statusClass(e.status) }, e.status ?? "dropped"),
        el("td", {}, e.operationId ?? "-"), el("td", {}, e.tenant ?? "-"),
        el("td", { class: "num" }, e.durationMs), el("td", {}, ...marks(e)));
    }), "No requests recorded (yet).", 9);
    showOperations();
  }

  function bodyView(title, body) {
    let text = body.body;
    if (text !== null && !body.truncated) {
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as sent */ }
    }
    const note = `${body.size} bytes${body.truncated ? ", cut to the journal's body limit" : ""}`;
    return [el("h4", {}, title, " ", el("span", { class: "muted" }, note)),
      el("pre", {}, text ?? "(no body)")];
  }

  function list(title, items) {
    return items.length ? [el("h4", {}, title), el("ul", { class: "errors" }, ...items.map((i) => el("li", {}, i)))] : [];
  }

  function showEntry(id) {
    const e = entries.get(id);
    if (!e) return;
    selected = id;
    for (const row of $("journal-rows").children) row.classList.remove("selected");
    const row = [...$("journal-rows").children].find((r) => r.firstChild.textContent === String(id));
    if (row) row.classList.add("selected");
    const facts = [["Status", e.status ?? "connection dropped by a fault"], ["Operation", e.operationId ?? "none"],
      ["Tenant", e.tenant ?? "-"], ["Time", e.time], ["Duration", `${e.durationMs} ms`],
      ["Validation", e.validation.passed ? "passed" : "failed"],
      ["Forced (Prefer)", e.forced ? "yes" : "no"], ["Fault rule", e.fault ?? "none"]];
    $("entry").replaceChildren(
      el("h3", {}, `${e.method} ${e.path}${e.query ? `?${e.query}` : ""}`),
      el("dl", {}, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      ...list("Validation errors", e.validation.errors),
      ...list("Response violates its spec", (e.conformance && e.conformance.violations) || []),
      ...bodyView("Request body", e.request), ...bodyView("Response body", e.response));
  }

  // --- faults --------------------------------------------------------------------------

  function describeMatch(rule) {
    const parts = [rule.operationId, rule.method, rule.path, rule.tenant && `tenant ${rule.tenant}`];
    return parts.filter(Boolean).join(" ") || "every operation";
  }

  function describeAction(rule) {
    const parts = [];
    if (rule.delayMs) parts.push(`wait ${rule.delayMs} ms`);
    if (rule.status) parts.push(`answer ${rule.status}`);
    if (rule.fault) parts.push(rule.fault.replace("_", " "));
    return parts.join(", ") || "nothing";
  }

  async function loadFaults() {
    const { faults } = await api("/__admin/faults");
    if (!changed("faults", faults)) return;
    fill($("fault-rows"), faults.map((r) => el("tr", {},
      el("td", {}, r.id), el("td", {}, describeMatch(r)), el("td", {}, describeAction(r)),
      el("td", { class: "num" }, r.probability), el("td", { class: "num" }, r.times ?? "always"),
      el("td", { class: "num" }, r.remaining ?? "-"), el("td", { class: "num" }, r.hits),
      el("td", {}, el("button", { type: "button", onclick: guarded(() => deleteFault(r.id)) }, "Delete")))),
    "No fault rules.", 8);
  }

  async function deleteFault(id) {
    await api(`/__admin/faults/${encodeURIComponent(id)}`, { method: "DELETE" });
    notify(`Deleted ${id}.`);
    await loadFaults();
  }

  async function addFault() {
    const form = $("fault-form");
    const rule = {};
    for (const input of form.elements) {
      if (!input.name || input.value.trim() === "") continue;
      rule[input.name] = input.type === "number" ? Number(input.value) : input.value.trim();
    }
    const created = await api("/__admin/faults", { method: "POST", body: rule });
    form.reset();
    notify(`Added ${created.id}: ${describeMatch(created)} -> ${describeAction(created)}.`);
    await loadFaults();
  }

  // --- state and tenants ---------------------------------------------------------------

  async function exportState(name) {
    const data = await api(`/__admin/state/${tenantPath(name)}`);
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const link = el("a", { download: `${name}-state.json` });
    link.href = URL.createObjectURL(blob);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async function importState(name, input) {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    let data;
    try { data = JSON.parse(await file.text()); } catch (err) {
      throw new ApiError(0, `${file.name} is not JSON`, [err.message]);
    }
    const result = await api(`/__admin/state/${tenantPath(name)}`, { method: "PUT", body: data });
    const count = Object.values(result.records).reduce((a, b) => a + b, 0);
    notify(`Imported ${count} records from ${file.name} into ${name}.`);
  }

  async function reset(name) {
    const result = await api(`/__admin/reset${name ? `?tenant=${tenantPath(name)}` : ""}`, { method: "POST" });
    notify(`Reset ${result.reset.join(", ")} to the seeded data.`);
  }

  function stateRow(t) {
    const file = el("input", { type: "file", accept: ".json,application/json", class: "import",
      onchange: guarded(() => importState(t.name, file)) });
    return el("tr", {},
      el("td", {}, t.name),
      el("td", {}, el("button", { type: "button", class: "export", onclick: guarded(() => exportState(t.name)) }, "Download JSON")),
      el("td", {}, el("label", { class: "file" }, "Upload JSON ", file)),
      el("td", {}, el("button", { type: "button", class: "reset", onclick: guarded(() => reset(t.name)) }, "Reset")));
  }

  function tenantRow(t) {
    const remove = el("button", { type: "button", disabled: t.default, onclick: guarded(() => deleteTenant(t.name)),
      title: t.default ? "A default tenant can only be reset." : "" }, "Delete");
    return el("tr", {}, el("td", {}, t.name), el("td", { class: "num" }, t.seed),
      el("td", {}, t.default ? "default" : "on demand"), el("td", {}, remove));
  }

  async function loadTenants() {
    const { tenants } = await api("/__admin/tenants");
    if (!changed("tenants", tenants)) return;
    fill($("state-rows"), tenants.map(stateRow), "No tenants.", 4);
    fill($("tenant-rows"), tenants.map(tenantRow), "No tenants.", 4);
    for (const select of document.querySelectorAll(".tenant-choice")) {
      const value = select.value;
      select.replaceChildren(el("option", { value: "" }, "any"),
        ...tenants.map((t) => el("option", { value: t.name }, t.name)));
      select.value = tenants.some((t) => t.name === value) ? value : "";
    }
  }

  async function createTenant() {
    const form = $("tenant-form").elements;
    const body = { name: form.name.value.trim() };
    if (form.seed.value) body.seed = Number(form.seed.value);
    const created = await api("/__admin/tenants", { method: "POST", body });
    $("tenant-form").reset();
    $("tenant-created").textContent = `Created ${created.name}:\n${JSON.stringify(created, null, 2)}`;
    $("tenant-created").hidden = false;
    notify(`Created tenant ${created.name}.`);
    await loadTenants();
  }

  async function deleteTenant(name) {
    await api(`/__admin/tenants/${tenantPath(name)}`, { method: "DELETE" });
    notify(`Deleted tenant ${name}.`);
    await loadTenants();
  }

  // --- wiring --------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("login").elements.token.value.trim());
      $("login").reset();
      start();
    });
    $("forget-token").addEventListener("click", () => askToken(false));
    $("journal-filter").addEventListener("input", guarded(loadJournal));
    $("journal-filter").addEventListener("submit", guarded(loadJournal));
    $("journal-clear").addEventListener("click", guarded(async () => {
      await api("/__admin/requests", { method: "DELETE" });
      $("entry").replaceChildren(el("p", { class: "muted" }, "Click a request to see it."));
      selected = null;
      await loadJournal();
    }));
    $("fault-form").addEventListener("submit", guarded(addFault));
    $("faults-clear").addEventListener("click", guarded(async () => {
      await api("/__admin/faults", { method: "DELETE" });
      notify("Removed every fault rule.");
      await loadFaults();
    }));
    $("reset-all").addEventListener("click", guarded(() => reset(null)));
    $("tenant-form").addEventListener("submit", guarded(createTenant));
    start();
  });
})();
