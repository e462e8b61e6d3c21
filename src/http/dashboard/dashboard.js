// The built-in dashboard: reads the GraphQL API at /graphql with a token the user pastes (kept in
// localStorage; `#token=...&partner=TKM&cycle=ID&lang=fr` in the address also works, and the token is
// then removed from the address). Charts are inline SVG. The page stays current through `live`: a
// graphql-transport-ws subscription at /graphql/ws to the change log (`changed`), which reconnects
// with the last cursor it received, so no change is missed while the connection was down.
"use strict";

/** Waits before reconnecting a dropped subscription, and before redrawing after a burst. */
const RECONNECT_MS = 2000;
const DEBOUNCE_MS = 250;
const UI = {
  en: {
    title: "Partnership cooperation programmes", token: "API token", load: "Load", partner: "Partner",
    cycle: "Cycle", objectives: "Objectives by status", topics: "Seats and fill rate per topic",
    funnel: "Enrollment funnel", activities: "Activities", officersTrained: "Officers trained",
    seatsHeld: "Seats held", completionRate: "Completion rate", noShowRate: "No-show rate",
    withdrawalRate: "Withdrawal rate", previous: "previous cycle", none: "none", topic: "Topic",
    iterations: "Iterations", held: "Held", capacity: "Capacity", fillRate: "Fill rate",
    area: "Area", count: "Count", loading: "Loading…", loaded: "Updated", needToken: "Paste a token with the REPORTER role (or higher).",
    renewal: (d, n) => `Renewal due on ${d} (${n} days)`, noActive: "No active cycle", noCycle: "No cycle",
    evaluation: "Course evaluation", responseRate: "Response rate (level 1)", followUpRate: "Follow-up rate (level 3)",
    withheld: "Withheld: too few responses", item: "Item", mean: "Mean (1-5)", applied: "Applied at work",
    yes: "Yes", partly: "Partly", no: "No", costs: "Costs", currency: "Currency", planned: "Planned", actual: "Actual",
    perOfficer: "Cost per officer trained", category: "Category", source: "Funding source",
  },
  fr: {
    title: "Programmes de partenariat et de coopération", token: "Jeton d'API", load: "Charger", partner: "Partenaire",
    cycle: "Cycle", objectives: "Objectifs par statut", topics: "Places et taux de remplissage par thème",
    funnel: "Entonnoir des inscriptions", activities: "Activités", officersTrained: "Officiers formés",
    seatsHeld: "Places occupées", completionRate: "Taux de réussite", noShowRate: "Taux d'absence",
    withdrawalRate: "Taux de retrait", previous: "cycle précédent", none: "aucun", topic: "Thème",
    iterations: "Sessions", held: "Tenues", capacity: "Capacité", fillRate: "Taux de remplissage",
    area: "Domaine", count: "Nombre", loading: "Chargement…", loaded: "Mis à jour", needToken: "Collez un jeton ayant le rôle REPORTER (ou supérieur).",
    renewal: (d, n) => `Renouvellement dû le ${d} (${n} jours)`, noActive: "Aucun cycle en vigueur", noCycle: "Aucun cycle",
    evaluation: "Évaluation des cours", responseRate: "Taux de réponse (niveau 1)", followUpRate: "Taux de suivi (niveau 3)",
    withheld: "Non publié : trop peu de réponses", item: "Élément", mean: "Moyenne (1-5)", applied: "Appliqué au travail",
    yes: "Oui", partly: "En partie", no: "Non", costs: "Coûts", currency: "Monnaie", planned: "Prévu", actual: "Réalisé",
    perOfficer: "Coût par officier formé", category: "Catégorie", source: "Source de financement",
  },
};
const COLORS = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#57606a", "#0969da", "#d4a72c", "#a40e26", "#1a7f37"];

const state = { token: "", lang: "en", partner: "", cycle: "" };
const $ = (id) => document.getElementById(id);
const t = (key) => UI[state.lang][key];

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
/** A chart label that fits its column; the whole text stays in a tooltip. */
function short(text, max = 34) {
  const s = String(text ?? "");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
function pct(x) {
  return new Intl.NumberFormat(state.lang, { style: "percent", maximumFractionDigits: 1 }).format(x);
}

async function gql(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    throw new Error(`${e.extensions?.code ?? response.status}: ${e.message}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return body.data;
}

const FIGURES = `objectivesByStatus { areaCode areaName status statusLabel count }
  topics { topic topicLabel iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
  officersTrained funnel { code label count } seatsHeld completionRate noShowRate withdrawalRate confirmedPlaces
  activitiesByArea { areaCode areaName count }`;
const REPORT = `query($id: ID!, $lang: Language!, $partner: String!) {
  cycleReport(cycleId: $id, lang: $lang) { cycle { id kindLabel statusLabel startDate endDate partnerName }
    figures { ${FIGURES} } previousCycle { startDate endDate } previous { ${FIGURES} }
    evaluation { eligible responses responseRate withheldReason items { item label mean }
      followUpsDue followUpsRecorded followUpRate appliedAtWork { yes partly no } }
    costs { officersTrained currencies { currency total { planned { amount } actual { amount } }
      byCategory { code label planned { amount } actual { amount } }
      bySource { code label nation planned { amount } actual { amount } } costPerOfficerTrained { amount } } } }
  partnerOverview(code: $partner, lang: $lang) { renewalDueOn daysUntilRenewal activeCycle { id }
    timeline { kind startDate endDate label text cycleId } } }`;

function setStatus(text, kind) {
  const s = $("status");
  s.textContent = text;
  s.dataset.state = kind;
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
}

async function loadCycles() {
  const data = await gql("query($lang: Language!) { reportCycles(lang: $lang) { id partnerCode partnerName kindLabel statusLabel status startDate endDate } }",
    { lang: state.lang.toUpperCase() });
  const cycles = data.reportCycles;
  const partners = [...new Map(cycles.map((c) => [c.partnerCode, c.partnerName])).entries()];
  if (!partners.some(([code]) => code === state.partner)) state.partner = partners[0]?.[0] ?? "";
  $("partner").innerHTML = partners.map(([code, name]) => `<option value="${esc(code)}"${code === state.partner ? " selected" : ""}>${esc(name)} (${esc(code)})</option>`).join("");
  const mine = cycles.filter((c) => c.partnerCode === state.partner);
  if (!mine.some((c) => c.id === state.cycle)) {
    state.cycle = (mine.find((c) => c.status === "ACTIVE") ?? mine[mine.length - 1])?.id ?? "";
  }
  $("cycle").innerHTML = mine.map((c) => `<option value="${esc(c.id)}"${c.id === state.cycle ? " selected" : ""}>${esc(c.startDate)} – ${esc(c.endDate)} · ${esc(c.statusLabel)}</option>`).join("");
}

function card(id, label, value, shown, previous) {
  const prev = previous === undefined ? "" : `<div class="previous">${esc(t("previous"))}: ${esc(previous)}</div>`;
  return `<div class="card"><div>${esc(label)}</div><div class="value" id="${id}" data-value="${esc(value)}">${esc(shown)}</div>${prev}</div>`;
}

/** Horizontal bars: [{label, value, text}] scaled to the largest value (or to `max`). */
function bars(items, max) {
  const top = max ?? Math.max(1, ...items.map((i) => i.value));
  const h = 22, w = 560, lw = 230;
  const rows = items.map((item, n) => {
    const bw = Math.max(0, Math.round(((w - lw - 60) * item.value) / top));
    return `<g transform="translate(0 ${n * h})"><text x="0" y="15"><title>${esc(item.label)}</title>${esc(short(item.label))}</text>
      <rect x="${lw}" y="4" width="${bw}" height="${h - 8}" fill="${COLORS[n % COLORS.length]}"></rect>
      <text x="${lw + bw + 6}" y="15">${esc(item.text ?? item.value)}</text></g>`;
  });
  return `<svg role="img" width="${w}" height="${Math.max(h, items.length * h)}">${rows.join("")}</svg>`;
}

function renderObjectives(list) {
  if (!list.length) return `<p>${esc(t("none"))}</p>`;
  const areas = [...new Map(list.map((o) => [o.areaCode, o.areaName])).entries()];
  const statuses = [...new Map(list.map((o) => [o.status, o.statusLabel])).entries()];
  const total = Math.max(...areas.map(([code]) => list.filter((o) => o.areaCode === code).reduce((s, o) => s + o.count, 0)));
  const h = 24, w = 560, lw = 230;
  let svg = areas.map(([code, name], n) => {
    let x = lw;
    const segs = list.filter((o) => o.areaCode === code).map((o) => {
      const bw = Math.round(((w - lw - 20) * o.count) / total);
      const color = COLORS[statuses.findIndex(([s]) => s === o.status) % COLORS.length];
      const seg = `<rect x="${x}" y="4" width="${bw}" height="${h - 8}" fill="${color}"><title>${esc(o.statusLabel)}: ${o.count}</title></rect>`;
      x += bw;
      return seg;
    });
    return `<g transform="translate(0 ${n * h})"><text x="0" y="16"><title>${esc(name)}</title>${esc(short(name))}</text>${segs.join("")}</g>`;
  }).join("");
  svg = `<svg role="img" width="${w}" height="${areas.length * h}">${svg}</svg>`;
  const legend = statuses.map(([s, label], n) => `<span style="color:${COLORS[n % COLORS.length]}">■</span> ${esc(label)}`).join(" &nbsp; ");
  const table = `<table><tr><th>${esc(t("area"))}</th><th></th><th>${esc(t("count"))}</th></tr>${list.map((o) =>
    `<tr><td>${esc(o.areaName)}</td><td>${esc(o.statusLabel)}</td><td class="num" data-objective="${esc(o.areaCode)}:${esc(o.status)}">${o.count}</td></tr>`).join("")}</table>`;
  return svg + `<div>${legend}</div>` + table;
}

function renderTopics(list) {
  if (!list.length) return `<p>${esc(t("none"))}</p>`;
  const chart = bars(list.map((x) => ({ label: x.topicLabel, value: x.fillRate, text: pct(x.fillRate) })), 1);
  const table = `<table><tr><th>${esc(t("topic"))}</th><th>${esc(t("iterations"))}</th><th>${esc(t("held"))}</th><th>${esc(t("seatsHeld"))}</th><th>${esc(t("capacity"))}</th><th>${esc(t("fillRate"))}</th></tr>${list.map((x) =>
    `<tr data-topic="${esc(x.topic)}"><td>${esc(x.topicLabel)}</td><td class="num">${x.iterations}</td><td class="num">${x.heldIterations}</td><td class="num">${x.seatsHeld}</td><td class="num">${x.capacity}</td><td class="num" data-value="${x.fillRate}">${esc(pct(x.fillRate))}</td></tr>`).join("")}</table>`;
  return chart + table;
}

function renderTimeline(items) {
  const dated = items;
  if (!dated.length) return `<p>${esc(t("none"))}</p>`;
  const day = (d) => Date.parse(`${d}T00:00:00Z`);
  const lo = Math.min(...dated.map((i) => day(i.startDate)));
  const hi = Math.max(...dated.map((i) => day(i.endDate)), lo + 86400000);
  const w = 560, h = 18, x = (d) => 10 + Math.round(((w - 20) * (day(d) - lo)) / (hi - lo));
  const rows = dated.map((i, n) => {
    const color = i.kind === "CYCLE" ? "#1f6feb" : i.kind === "ACTIVITY" ? "#2da44e" : "#bf8700";
    return `<rect x="${x(i.startDate)}" y="${n * h + 4}" width="${Math.max(4, x(i.endDate) - x(i.startDate))}" height="${h - 8}" fill="${color}"><title>${esc(i.startDate)} ${esc(i.label)}: ${esc(i.text)}</title></rect>`;
  });
  const svg = `<svg role="img" width="${w}" height="${dated.length * h}">${rows.join("")}</svg>`;
  const list = `<table>${dated.map((i) => `<tr data-kind="${esc(i.kind)}"><td>${esc(i.startDate)}</td><td>${esc(i.label)}</td><td>${esc(i.text)}</td></tr>`).join("")}</table>`;
  return svg + list;
}

/** Level 1 and level 3 figures; aggregates over fewer than 3 answers come back withheld (null). */
function renderEvaluation(e) {
  const rates = `<table><tr><td>${esc(t("responseRate"))}</td><td class="num" id="response-rate" data-value="${e.responseRate}">${esc(pct(e.responseRate))}</td><td>${e.responses} / ${e.eligible}</td></tr>
    <tr><td>${esc(t("followUpRate"))}</td><td class="num" id="follow-up-rate" data-value="${e.followUpRate}">${esc(pct(e.followUpRate))}</td><td>${e.followUpsRecorded} / ${e.followUpsDue}</td></tr></table>`;
  const items = e.items
    ? bars(e.items.map((i) => ({ label: i.label, value: i.mean, text: i.mean.toFixed(2) })), 5) +
      `<table><tr><th>${esc(t("item"))}</th><th>${esc(t("mean"))}</th></tr>${e.items.map((i) =>
        `<tr><td>${esc(i.label)}</td><td class="num" data-item="${esc(i.item)}" data-value="${i.mean}">${esc(i.mean.toFixed(2))}</td></tr>`).join("")}</table>`
    : `<p class="withheld" data-withheld="items">${esc(t("withheld"))}</p>`;
  const a = e.appliedAtWork;
  const applied = a
    ? `<table><tr><th>${esc(t("applied"))}</th><th></th></tr>${["yes", "partly", "no"].map((k) =>
        `<tr><td>${esc(t(k))}</td><td class="num" data-applied="${k}">${a[k]}</td></tr>`).join("")}</table>`
    : `<p class="withheld" data-withheld="applied">${esc(t("applied"))}: ${esc(t("withheld"))}</p>`;
  return rates + items + applied;
}

/** Planned against actual per currency (never added across currencies), by category and source. */
function renderCosts(c) {
  if (!c.currencies.length) return `<p>${esc(t("none"))}</p>`;
  const groups = (title, list) => `<table><tr><th>${esc(title)}</th><th>${esc(t("planned"))}</th><th>${esc(t("actual"))}</th></tr>${list.map((g) =>
    `<tr><td>${esc(g.label)}${g.nation ? ` ${esc(g.nation)}` : ""}</td><td class="num">${esc(g.planned.amount)}</td><td class="num">${esc(g.actual.amount)}</td></tr>`).join("")}</table>`;
  return c.currencies.map((x) => `<h4>${esc(x.currency)}</h4>
    <table><tr><th>${esc(t("currency"))}</th><th>${esc(t("planned"))}</th><th>${esc(t("actual"))}</th><th>${esc(t("perOfficer"))}</th></tr>
    <tr data-currency="${esc(x.currency)}"><td>${esc(x.currency)}</td><td class="num" data-planned="${esc(x.currency)}">${esc(x.total.planned.amount)}</td>
    <td class="num" data-actual="${esc(x.currency)}">${esc(x.total.actual.amount)}</td>
    <td class="num" data-per-officer="${esc(x.currency)}">${esc(x.costPerOfficerTrained?.amount ?? "–")}</td></tr></table>
    ${groups(t("category"), x.byCategory)}${groups(t("source"), x.bySource)}`).join("");
}

function render(data) {
  const r = data.cycleReport, f = r.figures, p = r.previous, o = data.partnerOverview;
  $("cycle-title").textContent = `${r.cycle.partnerName} · ${r.cycle.kindLabel} ${r.cycle.startDate} – ${r.cycle.endDate} · ${r.cycle.statusLabel}`;
  $("renewal").textContent = o.renewalDueOn ? t("renewal")(o.renewalDueOn, o.daysUntilRenewal) : t("noActive");
  $("cards").innerHTML = [
    card("officers-trained", t("officersTrained"), f.officersTrained, f.officersTrained, p?.officersTrained),
    card("seats-held", t("seatsHeld"), f.seatsHeld, f.seatsHeld, p?.seatsHeld),
    card("completion-rate", t("completionRate"), f.completionRate, pct(f.completionRate), p ? pct(p.completionRate) : undefined),
    card("no-show-rate", t("noShowRate"), f.noShowRate, pct(f.noShowRate), p ? pct(p.noShowRate) : undefined),
    card("withdrawal-rate", t("withdrawalRate"), f.withdrawalRate, pct(f.withdrawalRate), p ? pct(p.withdrawalRate) : undefined),
  ].join("");
  $("objectives").innerHTML = renderObjectives(f.objectivesByStatus);
  $("topics").innerHTML = renderTopics(f.topics);
  $("funnel").innerHTML = bars(f.funnel.map((s) => ({ label: s.label, value: s.count }))) +
    `<table>${f.funnel.map((s) => `<tr><td>${esc(s.label)}</td><td class="num" data-funnel="${esc(s.code)}">${s.count}</td></tr>`).join("")}</table>`;
  const activities = bars(f.activitiesByArea.map((a) => ({ label: a.areaName, value: a.count })));
  $("activities").innerHTML = activities + renderTimeline(o.timeline.filter((i) => i.kind !== "CYCLE" || i.cycleId === r.cycle.id));
  $("evaluation").innerHTML = renderEvaluation(r.evaluation);
  $("costs").innerHTML = renderCosts(r.costs);
  $("report").hidden = false;
}

async function refresh() {
  if (!state.token) { setStatus(t("needToken"), "idle"); return; }
  try {
    setStatus(t("loading"), "loading");
    await loadCycles();
    if (!state.cycle) { $("report").hidden = true; setStatus(t("noCycle"), "loaded"); return; }
    const data = await gql(REPORT, { id: state.cycle, lang: state.lang.toUpperCase(), partner: state.partner });
    render(data);
    setStatus(`${t("loaded")} ${new Date().toLocaleTimeString(state.lang)}`, "loaded");
  } catch (err) {
    setStatus(String(err.message ?? err), "error");
  }
}

/** Keeps the page current: subscribes to every committed change (`changed`) and redraws after
 *  each burst of them. On reconnect it resumes after the last cursor received (the server replays
 *  what was committed meanwhile). `data-live` on <body> says whether the subscription is open. */
const live = {
  socket: null, cursor: null, pending: null, retry: null,
  start() {
    this.stop();
    if (!state.token) return;
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { token: state.token } }));
    socket.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "connection_ack") {
        document.body.dataset.live = "open";
        socket.send(JSON.stringify({
          id: "changes", type: "subscribe",
          payload: { query: "subscription($after: String) { changed(after: $after) { cursor } }", variables: { after: this.cursor } },
        }));
      } else if (msg.type === "next" && msg.payload?.data?.changed) {
        this.cursor = msg.payload.data.changed.cursor;
        clearTimeout(this.pending);
        this.pending = setTimeout(refresh, DEBOUNCE_MS);
      } else if (msg.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      document.body.dataset.live = "closed";
      this.retry = setTimeout(() => this.start(), RECONNECT_MS);
    };
  },
  stop() {
    clearTimeout(this.retry);
    if (this.socket) { const s = this.socket; this.socket = null; s.close(); }
  },
};

function readAddress() {
  const params = new URLSearchParams(location.hash.slice(1) || location.search.slice(1));
  if (params.get("token")) {
    localStorage.setItem("ipcp.token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}${params.toString() ? `#${params}` : ""}`);
  }
  state.token = localStorage.getItem("ipcp.token") ?? "";
  state.lang = (params.get("lang") ?? localStorage.getItem("ipcp.lang") ?? (navigator.language?.startsWith("fr") ? "fr" : "en")).toLowerCase() === "fr" ? "fr" : "en";
  state.partner = params.get("partner") ?? "";
  state.cycle = params.get("cycle") ?? "";
}

function init() {
  readAddress();
  $("token").value = state.token;
  applyLanguage();
  $("save-token").addEventListener("click", () => {
    state.token = $("token").value.trim();
    localStorage.setItem("ipcp.token", state.token);
    refresh();
    live.start();
  });
  $("partner").addEventListener("change", (e) => { state.partner = e.target.value; state.cycle = ""; refresh(); });
  $("cycle").addEventListener("change", (e) => { state.cycle = e.target.value; refresh(); });
  document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => {
    state.lang = b.dataset.lang;
    localStorage.setItem("ipcp.lang", state.lang);
    applyLanguage();
    refresh();
  }));
  refresh();
  live.start();
}

init();
