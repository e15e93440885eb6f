// Command-centre console: login, live alert board over SSE (gap-free with Last-Event-ID).
"use strict";
const I18N = {
  zh: { title: "江阴市特殊人群监管指挥中心", login: "登录", logout: "退出", username: "用户名", password: "密码",
        oidcLogin: "统一身份认证登录",
        red: "红色", orange: "橙色", yellow: "黄色", blue: "蓝色", colour: "等级", rule: "预警", office: "司法所",
        person: "人员", raised: "发生时间", ackdue: "签收期限", status: "状态", empty: "暂无预警",
        online: "实时", offline: "未连接", updated: "更新于", stale: "可能已过时", newRed: "新的红色预警：", overdue: "已超期",
        open: "待签收", acknowledged: "已签收", escalated: "已升级", disposed: "已处置", closed: "已关闭",
        badLogin: "用户名或密码错误", lang: "English", actions: "操作", ack: "签收", dispose: "处置",
        close: "关闭", silence: "静默", reasonCode: "处置结果", note: "处置说明", cancel: "取消", confirm: "确定",
        silenced: "已静默", silenceReason: "静默原因（静默60分钟）：", failed: "操作失败：",
        navBoard: "预警看板", navMap: "地图", navHandover: "安置帮教衔接", navStats: "统计", navPerson: "人员档案",
        allOffices: "全部司法所", allColours: "全部等级", allStatuses: "全部状态", allRules: "全部预警类型",
        trackOf: "轨迹", showTrack: "显示轨迹", mapLegend: "● 绿色：区域内　● 红色：越界或破拆　▨ 红色区域：禁止进入区域",
        hvUpcoming: "30日内刑满释放", hvUnplanned: "重点人员未制定接送计划", hvReceipts: "待回执", hvNotArrived: "已释放未报到",
        month: "月份", exportXlsx: "导出统计报告（XLSX）", target: "目标", none: "无", case: "案件", level: "管理等级",
        risk: "风险评估", programmes: "电子定位与回访", timeline: "档案（时间线）", leaves: "请假外出", alerts: "预警",
        strict: "严管", ordinary: "普管", lenient: "宽管", low: "低", medium: "中", high: "高", team: "矫正小组",
        positioning: "电子定位", followups: "回访", notice: "通知编号", releaseDate: "释放日期", keyPerson: "重点人员",
        persons: "人", positions: "个位置", source: "来源", term: "期限", kind: "类别", explanation: "评估说明",
        community_correction: "社区矫正", resettlement: "安置帮教", aftercare: "后续照管", awaiting_intake: "待报到",
        under_supervision: "在矫/在管", ended: "已期满", mapOnly: "在地图上查看轨迹", riskLevel: "风险等级", drugTest: "尿检" },
  en: { title: "Jiangyin Special-Population Supervision Command Centre", login: "Log in", logout: "Log out",
        oidcLogin: "Sign in with the bureau's account",
        username: "Username", password: "Password", red: "Red", orange: "Orange", yellow: "Yellow", blue: "Blue",
        colour: "Level", rule: "Alert", office: "Justice office", person: "Person", raised: "Raised",
        ackdue: "Ack due", status: "Status", empty: "No alerts", online: "Live", offline: "Offline", updated: "Updated", stale: "may be stale",
        newRed: "New red alert: ", overdue: "overdue", open: "Open", acknowledged: "Acknowledged",
        escalated: "Escalated", disposed: "Disposed", closed: "Closed", badLogin: "Wrong username or password",
        lang: "中文", actions: "Actions", ack: "Acknowledge", dispose: "Dispose", close: "Close", silence: "Silence",
        reasonCode: "Outcome", note: "Note", cancel: "Cancel", confirm: "Confirm", silenced: "silenced",
        silenceReason: "Reason for silencing (60 minutes):", failed: "Failed: ",
        navBoard: "Alert board", navMap: "Map", navHandover: "Handover", navStats: "Statistics", navPerson: "Person",
        allOffices: "All offices", allColours: "All levels", allStatuses: "All statuses", allRules: "All alert types",
        trackOf: "Track of", showTrack: "Show track", mapLegend: "● green: inside  ● red: outside or tampered  ▨ red area: exclusion zone",
        hvUpcoming: "Releases in the next 30 days", hvUnplanned: "Key persons without a pick-up plan",
        hvReceipts: "Receipts due", hvNotArrived: "Released, not yet arrived", month: "Month",
        exportXlsx: "Export monthly report (XLSX)", target: "target", none: "none", case: "Case", level: "Level",
        risk: "Risk", programmes: "Positioning and follow-ups", timeline: "Case file (timeline)", leaves: "Leaves",
        alerts: "Alerts", strict: "Strict", ordinary: "Ordinary", lenient: "Lenient", low: "Low", medium: "Medium",
        high: "High", team: "Correction team", positioning: "Electronic positioning", followups: "Follow-ups",
        notice: "Notice", releaseDate: "Release date", keyPerson: "Key person", persons: "persons",
        positions: "positions", source: "Source", term: "Term", kind: "Kind", explanation: "Explanation",
        community_correction: "Community correction", resettlement: "Resettlement", aftercare: "Aftercare",
        awaiting_intake: "Awaiting intake", under_supervision: "Under supervision", ended: "Ended",
        mapOnly: "Show the track on the map", riskLevel: "Risk level", drugTest: "Drug test" },
};
let lang = localStorage.getItem("sps-lang") || "zh";
const alerts = new Map();
let source = null;
let me = null;
let reasons = {};
const $ = (id) => document.getElementById(id);
const t = (k) => (I18N[lang][k] ?? k);

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.title = t("title");
  $("lang").textContent = t("lang");
  render();
}

async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  if (res.status === 401) { showLogin(); throw new Error("unauthorized"); }
  return res;
}

function showLogin() {
  if (source) { source.close(); source = null; }
  clearInterval(renewTimer);
  $("login-view").hidden = false; $("nav").hidden = true; $("logout").hidden = true; $("user").textContent = "";
  // The bureau's own sign-in, where it is set up (SPS_OIDC_ISSUER).
  fetch("/api/v1/auth/methods").then((r) => (r.ok ? r.json() : {})).then((m) => { $("oidc-login").hidden = !m.oidc; });
  document.querySelectorAll(".page").forEach((p) => { p.hidden = true; });
  setConn(false);
}

// Hash routes: #board, #map[/person], #handover, #stats, #person/<id>. Pages other than the board live in pages.js.
function route() {
  if (!me) return;
  const [page, arg] = (location.hash.slice(1) || "board").split("/");
  const known = ["board", "map", "handover", "stats", "person"].includes(page) ? page : "board";
  document.querySelectorAll(".page").forEach((p) => { p.hidden = p.id !== `${known}-view`; });
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === known));
  document.querySelector('#nav a[data-page="person"]').hidden = known !== "person";
  if (known !== "board" && window.PAGES) window.PAGES[known](arg ? decodeURIComponent(arg) : null);
}
window.addEventListener("hashchange", route);

// The token is short-lived: renew it while the session lasts; a session that ended signs out.
let renewTimer = null;
async function keepSession() {
  const r = await fetch("/api/v1/auth/renew", { method: "POST", credentials: "same-origin" });
  if (r.status === 401) showLogin();
}

async function showBoard(who) {
  me = who;
  clearInterval(renewTimer);
  renewTimer = setInterval(keepSession, Math.max(10, who.token_ttl_s / 3) * 1000);
  window.COUNTY = { today: who.today, month: who.month, timeZone: who.time_zone };
  reasons = await (await api("/api/v1/disposal-reasons")).json();
  $("login-view").hidden = true; $("nav").hidden = false; $("logout").hidden = false;
  const offices = $("f-office");
  offices.length = 1;
  window.OFFICES = await (await api("/api/v1/offices")).json();
  if (me.jurisdiction === "county") for (const o of window.OFFICES) offices.add(new Option(o, o));
  offices.hidden = me.jurisdiction !== "county";
  $("user").textContent = `${me.username} · ${me.jurisdiction === "county" ? "全市" : me.jurisdiction}`;
  await loadBoard();
  route();
}

// The list and its feed position in one snapshot, then the live feed from that position.
async function loadBoard() {
  const res = await api("/api/v1/alerts?limit=1000");
  const seq = res.headers.get("X-Alerts-Seq") || "0";
  alerts.clear();
  for (const a of await res.json()) alerts.set(a.alert_id, a);
  render();
  follow(seq);
}

// How fresh the board is: the last change or heartbeat the feed sent (one every 15 s when quiet).
let lastPulse = 0;
function pulse() { lastPulse = Date.now(); showFresh(); }
function showFresh() {
  const f = $("fresh");
  if (!lastPulse || !me) { f.textContent = ""; return; }
  const stale = Date.now() - lastPulse > 3 * 1000 * me.feed_heartbeat_s;  // three heartbeats missed
  f.className = `fresh${stale ? " stale" : ""}`;
  f.textContent = `${t("updated")} ${new Date(lastPulse).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false, timeZone: me ? me.time_zone : undefined })}${stale ? " · " + t("stale") : ""}`;
}
setInterval(showFresh, 5000);

function follow(seq) {
  if (source) source.close();
  // The browser resends Last-Event-ID on reconnect; `after` covers the first connection.
  source = new EventSource(`/api/v1/alerts/stream?after=${encodeURIComponent(seq)}`);
  source.onopen = () => { setConn(true); pulse(); };
  source.onerror = () => setConn(false);
  source.addEventListener("heartbeat", pulse);
  source.addEventListener("session-ended", () => { source.close(); showLogin(); });
  // The server could not keep up with this board: reload it whole rather than miss a change.
  source.addEventListener("resync", () => { source.close(); loadBoard(); });
  for (const type of ["raised", "escalated", "acknowledged", "disposed", "closed"]) {
    source.addEventListener(`sps.alert.${type}`, (e) => {
      const a = JSON.parse(e.data);
      const before = alerts.get(a.alert_id);
      if (before && (before.version || 0) > (a.version || 0)) return;
      alerts.set(a.alert_id, { ...a, _fresh: true });
      pulse();
      if (type === "raised" && a.colour === "red") cueRed(a);
      render();
    });
  }
}

function setConn(on) { const c = $("conn"); c.className = `conn ${on ? "on" : "off"}`; c.textContent = t(on ? "online" : "offline"); }

function cueRed(a) {
  const banner = $("red-banner");
  banner.textContent = t("newRed") + (lang === "zh" ? a.title_zh : a.title_en) + " · " + a.jurisdiction;
  banner.hidden = false;
  setTimeout(() => { banner.hidden = true; }, 15000);
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator(); osc.frequency.value = 880; osc.connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.4);
  } catch (_) { /* no audio device: the banner still shows */ }
}

// Times in the county's zone (from /api/v1/me), whatever the browser's own zone is.
function fmtTime(iso) {
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false, timeZone: me ? me.time_zone : undefined });
}
function countdown(iso) {
  const ms = new Date(iso) - Date.now();
  if (ms <= 0) return `<span class="overdue">${t("overdue")}</span>`;
  const m = Math.floor(ms / 60000), h = Math.floor(m / 60);
  return h > 0 ? `${h}h ${m % 60}m` : `${m}m`;
}
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

function filtered(all) {
  const f = Object.fromEntries(new FormData($("filters")));
  return all.filter((a) => Object.entries(f).every(([k, v]) => !v || a[k] === v));
}

function render() {
  if (!me) return;
  const all = [...alerts.values()].sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1));
  const rules = $("f-rule"), chosen = rules.value, seen = new Map(all.map((a) => [a.rule_id, a]));
  rules.length = 1;
  for (const [id, a] of seen) rules.add(new Option(lang === "zh" ? a.title_zh : a.title_en, id));
  rules.value = seen.has(chosen) ? chosen : "";
  const list = filtered(all);
  const counts = { red: 0, orange: 0, yellow: 0, blue: 0 }, perOffice = {};
  for (const a of list) if (a.status !== "closed") {
    counts[a.colour]++;
    (perOffice[a.jurisdiction] ??= { red: 0, orange: 0, yellow: 0, blue: 0 })[a.colour]++;
  }
  for (const c of Object.keys(counts)) $(`n-${c}`).textContent = counts[c];
  $("office-counts").innerHTML = Object.entries(perOffice).sort().map(([o, n]) =>
    `<span class="chip" data-office="${esc(o)}">${esc(o)} ${["red", "orange", "yellow", "blue"].map((c) =>
      n[c] ? `<i class="dot ${c}"></i>${n[c]}` : "").join(" ")}</span>`).join("");
  $("empty").hidden = list.length > 0;
  $("rows").innerHTML = list.map((a) => `
    <tr class="${esc(a.colour)}${a._fresh ? " fresh" : ""}" data-alert-id="${esc(a.alert_id)}">
      <td><span class="badge ${esc(a.colour)}">${esc(t(a.colour))}</span></td>
      <td>${esc(lang === "zh" ? a.title_zh : a.title_en)}</td>
      <td>${esc(a.jurisdiction)}</td>
      <td class="mono"><a href="#person/${esc(a.person_id)}">${esc(a.person_id.slice(0, 8))}…</a></td>
      <td>${esc(fmtTime(a.raised_at))}</td>
      <td>${a.status === "open" || a.status === "escalated" ? countdown(a.ack_due_at) : "—"}</td>
      <td>${esc(t(a.status))}${a.silenced_until ? ` <span class="muted">(${t("silenced")})</span>` : ""}</td>
      <td class="actions">${actionsFor(a)}</td>
    </tr>`).join("");
  for (const a of list) delete a._fresh;
}

const SUPERVISORS = ["supervisor", "bureau_head"];
function actionsFor(a) {
  const b = (step, label) => `<button type="button" data-step="${step}" data-id="${esc(a.alert_id)}">${t(label)}</button>`;
  const out = [];
  if (a.status === "open" || a.status === "escalated") out.push(b("acknowledge", "ack"));
  if (["open", "acknowledged", "escalated"].includes(a.status)) out.push(b("dispose", "dispose"));
  if (a.status === "disposed" && (!["red", "orange"].includes(a.colour) || SUPERVISORS.includes(me?.role)))
    out.push(b("close", "close"));
  if (SUPERVISORS.includes(me?.role) && a.status !== "closed" && !a.silenced_until) out.push(b("silence", "silence"));
  return out.join("");
}

function toast(msg) {
  const el = document.createElement("div"); el.className = "toast"; el.textContent = msg;
  document.body.appendChild(el); setTimeout(() => el.remove(), 4000);
}

async function step(alertId, stepName, body) {
  const res = await api(`/api/v1/alerts/${alertId}/${stepName}`, { method: "POST", body: JSON.stringify(body || {}) });
  const data = await res.json();
  if (!res.ok) { toast(t("failed") + (data.detail || data.title)); return false; }
  const before = alerts.get(data.alert_id);
  if (!before || (before.version || 0) <= data.version) alerts.set(data.alert_id, data);
  render();
  return true;
}

$("filters").addEventListener("change", render);
$("rows").addEventListener("click", async (e) => {
  const btn = e.target.closest("button[data-step]");
  if (!btn) return;
  const id = btn.dataset.id, a = alerts.get(id);
  if (btn.dataset.step === "acknowledge") await step(id, "acknowledge");
  if (btn.dataset.step === "close") await step(id, "close", { note: null });
  if (btn.dataset.step === "dispose") {
    const sel = $("reason-select");
    sel.innerHTML = Object.entries(reasons).map(([code, r]) => `<option value="${esc(code)}">${esc(lang === "zh" ? r.zh : r.en)}</option>`).join("");
    const dlg = $("dispose-dialog"); dlg.dataset.id = id; $("dispose-error").textContent = ""; dlg.showModal();
  }
  if (btn.dataset.step === "silence") {
    const reason = prompt(t("silenceReason"));
    if (!reason) return;
    const res = await api("/api/v1/silences", { method: "POST", body: JSON.stringify(
      { person_id: a.person_id, rule_id: a.rule_id, duration_minutes: 60, reason }) });
    if (!res.ok) toast(t("failed") + ((await res.json()).detail || res.status));
    else { alerts.set(id, { ...a, silenced_until: (await res.json()).ends_at }); render(); }
  }
});

$("dispose-form").addEventListener("submit", async (e) => {
  const dlg = $("dispose-dialog");
  if (e.submitter?.value !== "ok") return;
  e.preventDefault();
  const form = new FormData(e.target);
  const ok = await step(dlg.dataset.id, "dispose", { reason_code: form.get("reason_code"), note: form.get("note") });
  if (ok) { dlg.close(); e.target.reset(); }
});

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const res = await fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }) });
  if (!res.ok) { $("login-error").textContent = t("badLogin"); return; }
  $("login-error").textContent = "";
  showBoard(await (await api("/api/v1/me")).json());  // who, and the county's time zone and day
});
$("logout").addEventListener("click", async () => { await fetch("/api/v1/auth/logout", { method: "POST" }); showLogin(); });
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("sps-lang", lang); applyLang(); });
setInterval(render, 30000);  // keep countdowns moving

applyLang();
fetch("/api/v1/me", { credentials: "same-origin" }).then(async (res) => (res.ok ? showBoard(await res.json()) : showLogin()));
