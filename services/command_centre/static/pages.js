// Console pages beside the board: map (offline SVG), person, handover board, statistics.
"use strict";
const fmtDate = (iso) => (iso ? String(iso).slice(0, 10) : "—");
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
async function getJSON(path) {
  const res = await api(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || body.title || res.status);
  return body;
}
function table(headers, rows) {
  return `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.length ? rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
      : `<tr><td colspan="${headers.length}" class="muted">${t("none")}</td></tr>`}</tbody>`;
}
const personLink = (id) => `<a class="mono" href="#person/${esc(id)}">${esc(String(id).slice(0, 8))}…</a>`;

// --- map: the county polygon, offices, zones and last positions projected into an SVG, no tiles ---------
function projector(polygon, width, height, pad = 20) {
  const xs = polygon.map((p) => p[0]), ys = polygon.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);  // degrees of longitude are shorter than of latitude
  const scale = Math.min((width - 2 * pad) / ((x1 - x0) * k), (height - 2 * pad) / (y1 - y0));
  return ([lon, lat]) => [pad + (lon - x0) * k * scale, height - pad - (lat - y0) * scale];
}
const pathOf = (proj, ring) => ring.map((p, i) => `${i ? "L" : "M"}${proj(p).map((v) => v.toFixed(1)).join(",")}`).join("") + "Z";

async function mapPage(personId) {
  const svg = $("map"), W = 900, H = 640;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const day = $("track-day");
  if (!day.value) day.value = window.COUNTY.today;  // the county's day, not the browser's
  if (personId) $("track-person").value = personId;
  const [geo, positions] = await Promise.all([getJSON("/api/v1/map/geometry"), getJSON("/api/v1/map/positions")]);
  const proj = projector(geo.county.polygon, W, H);
  const parts = [`<path class="county" d="${pathOf(proj, geo.county.polygon)}"/>`];
  for (const a of geo.permitted_areas) parts.push(`<path class="permitted" d="${pathOf(proj, a.polygon)}"/>`);
  for (const z of geo.exclusion_zones) parts.push(`<path class="exclusion" d="${pathOf(proj, z.polygon)}"><title>${esc(z.name)}</title></path>`);
  for (const [name, p] of Object.entries(geo.offices)) {
    const [x, y] = proj(p);
    parts.push(`<text class="office" x="${x.toFixed(1)}" y="${y.toFixed(1)}">${esc(name)}</text>`);
  }
  for (const p of positions) {
    const [x, y] = proj([p.lon, p.lat]);
    const bad = p.outside || p.tampered || (p.in_zones || []).length;
    parts.push(`<circle class="pos ${bad ? "bad" : "ok"}" data-person="${esc(p.person_id)}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${bad ? 5 : 3.5}"><title>${esc(p.name_masked || "")} · ${esc(p.jurisdiction)} · ${esc(fmtTime(p.last_fix_at))}</title></circle>`);
  }
  const id = $("track-person").value.trim();
  if (id) {
    try {
      const track = await getJSON(`/api/v1/persons/${encodeURIComponent(id)}/track?day=${day.value}`);
      if (track.length) {
        parts.push(`<polyline class="track" points="${track.map((p) => proj([p.lon, p.lat]).map((v) => v.toFixed(1)).join(",")).join(" ")}"/>`);
        for (const p of track) { const [x, y] = proj([p.lon, p.lat]); parts.push(`<circle class="trackpt${p.outside ? " bad" : ""}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2"/>`); }
      }
      $("map-summary").textContent = `${positions.length} ${t("positions")} · ${t("trackOf")} ${track.length}`;
    } catch (e) { toast(t("failed") + e.message); }
  } else $("map-summary").textContent = `${positions.length} ${t("positions")}`;
  svg.innerHTML = parts.join("");
}
$("track-show").addEventListener("click", () => { location.hash = `#map/${encodeURIComponent($("track-person").value.trim())}`; mapPage($("track-person").value.trim()); });
$("map").addEventListener("click", (e) => { const c = e.target.closest("circle[data-person]"); if (c) location.hash = `#person/${c.dataset.person}`; });

// --- person page (档案): identity masked by the services; every read is audited -------------------------
async function personPage(id) {
  if (!id) return;
  const base = `/api/v1/persons/${encodeURIComponent(id)}`;
  let person;
  try { person = await getJSON(base); } catch (e) { $("p-case").innerHTML = `<p class="error">${esc(e.message)}</p>`; return; }
  const [timeline, programmes, alertsOf] = await Promise.all([getJSON(`${base}/timeline`), getJSON(`${base}/programmes`),
    getJSON(`${base}/alerts`)]);
  let risk = null;
  try { risk = await getJSON(`${base}/risk`); } catch (_) { /* not assessed yet */ }
  const c = person.cases[person.cases.length - 1], who = person.identity;
  const level = (programmes.cases.find((x) => x.case_id === c.case_id) || {}).level;
  $("p-case").innerHTML = `<h3>${t("case")}</h3><dl>
    <dt>${t("person")}</dt><dd id="p-name">${esc(who.name_masked)} · ${esc(who.id_number_masked)} · ${esc(who.sex)}</dd>
    <dt>${t("office")}</dt><dd>${esc(person.jurisdiction)}</dd>
    <dt>${t("kind")}</dt><dd>${esc(t(c.kind))} · ${esc(t(c.status))}</dd>
    <dt>${t("term")}</dt><dd>${fmtDate(c.term_start)} — ${fmtDate(c.term_end)}</dd>
    <dt>${t("level")}</dt><dd id="p-level">${level ? esc(t(level)) : "—"}</dd></dl>
    <p><a href="#map/${esc(id)}">${t("mapOnly")}</a></p>`;
  const latest = risk && risk.latest;
  $("p-risk").innerHTML = `<h3>${t("risk")}</h3>` + (latest && latest.level ? `<p>${t("riskLevel")}：<span class="badge ${latest.level === "high" ? "red" : latest.level === "medium" ? "orange" : "blue"}">${esc(t(latest.level))}</span>
    · ${esc(latest.instrument_version || "")} · ${esc(String(latest.total ?? ""))}</p>
    <h4>${t("explanation")}</h4><ul id="p-explanation">${((latest.explanation || {})[lang] || []).map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : `<p class="muted">${t("none")}</p>`);
  const pos = programmes.positioning.map((p) => [esc(p.ground), `${fmtDate(p.starts_on)} — ${fmtDate(p.ends_on)}`, esc(p.status)]);
  const fu = programmes.followups.map((f) => [esc(f.kind), esc(fmtTime(f.at)), esc(f.drug_test)]);
  const team = programmes.team.map((m) => [esc(m.name), esc(m.role), esc(m.sex)]);
  $("p-programmes").innerHTML = `<h3>${t("positioning")}</h3><table>${table([t("source"), t("term"), t("status")], pos)}</table>
    <h3>${t("followups")}</h3><table>${table([t("kind"), t("raised"), t("drugTest")], fu)}</table>
    <h3>${t("team")}</h3><table>${table([t("person"), t("kind"), ""], team)}</table>`;
  $("p-alerts").innerHTML = `<h3>${t("alerts")}</h3><table>${table([t("colour"), t("rule"), t("raised"), t("status")],
    alertsOf.map((a) => [`<span class="badge ${esc(a.colour)}">${esc(t(a.colour))}</span>`, esc(lang === "zh" ? a.title_zh : a.title_en), esc(fmtTime(a.raised_at)), esc(t(a.status))]))}</table>`;
  $("p-leaves").innerHTML = `<h3>${t("leaves")}</h3><table>${table([t("term"), "→", t("status")],
    person.leaves.map((l) => [`${esc(fmtTime(l.starts_at))} — ${esc(fmtTime(l.ends_at))}`, esc(l.destination), esc(l.approval_level)]))}</table>`;
  $("p-timeline").innerHTML = `<h3>${t("timeline")}</h3><ol class="timeline" id="p-timeline-list">${timeline.map((e) =>
    `<li><time>${esc(fmtTime(e.occurred_at))}</time> <b>${esc(eventLabel(e.event_type))}</b></li>`).join("")}</ol>`;
}

const EVENT_ZH = { "case-opened": "立案", "intake-reported": "报到", "checkin": "签到", "level-changed": "管理等级调整",
  "zone-exited": "越界", "zone-returned": "返回区域", "exclusion-zone-entered": "进入禁止区域", "device-tampered": "设备破拆",
  "device-offline": "设备离线", "checkin-missed": "未按时签到", "contact-lost": "失去联系", "intake-missed": "未按期报到",
  "leave-approved": "请假获批", "leave-overdue": "请假逾期未归", "sanction-recorded": "处罚", "positioning-started": "电子定位",
  "positioning-term-ending": "电子定位期限将满", "followup-recorded": "回访", "aftercare-followup-due": "回访到期",
  "rehab-report-missed": "社区康复未报到", "key-person-listed": "列为重点人员", "team-set": "矫正小组调整" };
function eventLabel(type) {
  const short = type.split(".").pop();
  return lang === "zh" && EVENT_ZH[short] ? `${EVENT_ZH[short]}（${short}）` : short;
}

// --- handover board -----------------------------------------------------------------------------------
async function handoverPage() {
  for (const view of ["upcoming", "unplanned", "receipts_due", "not_arrived"]) {
    const rows = await getJSON(`/api/v1/handovers?view=${view}&days=30`);
    $(`hv-${view}`).innerHTML = table([t("notice"), t("person"), t("office"), t("releaseDate"), t("keyPerson")],
      rows.map((h) => [esc(h.notice_no), `${esc(h.person_masked.name_masked)} ${personLink(h.person_id)}`,
        esc(h.justice_office || "—"), fmtDate(h.release_date), h.key_person ? `<span class="badge orange">${t("keyPerson")}</span>` : ""]));
  }
}

// --- statistics: one bar chart per indicator, offices as bars, the target as a line ---------------------
function barChart(title, offices, key, target, definition) {
  const rowH = 18, W = 420, left = 80, H = offices.length * rowH + 30;
  const bars = offices.map((o, i) => {
    const v = o[key], y = 20 + i * rowH, w = v == null ? 0 : (W - left - 50) * v;
    const miss = target != null && v != null && v < target;
    return `<text x="${left - 4}" y="${y + 12}" text-anchor="end">${esc(o.office)}</text>
      <rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 5}" class="${miss ? "miss" : "meet"}"/>
      <text x="${left + w + 4}" y="${y + 12}">${pct(v)}</text>`;
  }).join("");
  const tx = target == null ? "" : `<line class="target" x1="${left + (W - left - 50) * target}" x2="${left + (W - left - 50) * target}" y1="14" y2="${H - 6}"/>`;
  return `<figure class="chart card" data-indicator="${esc(key)}"><figcaption>${esc(title)}${target == null ? "" : ` · ${t("target")} ${pct(target)}`}</figcaption>
    <svg viewBox="0 0 ${W} ${H}" width="100%">${bars}${tx}</svg>
    <p class="definition">${esc(definition || "")}</p></figure>`;
}

const KINDS = { probation: ["缓刑", "probation"], parole: ["假释", "parole"], control: ["管制", "control"], medical_parole: ["暂予监外执行", "medical parole"] };
function countCell(value, kind) {
  if (kind !== "by_kind") return value == null ? 0 : value;
  const parts = Object.entries(value || {}).map(([k, n]) => `${(KINDS[k] || [k, k])[lang === "zh" ? 0 : 1]} ${n}`);
  return parts.length ? parts.join("、") : 0;
}

// The counts per office, each column headed by its name with its definition under it.
function countsTable(counts, offices) {
  const name = (i) => (lang === "zh" ? i.zh : i.en), def = (i) => (lang === "zh" ? i.definition_zh : i.definition_en);
  const head = counts.map((i) => `<th data-indicator="${esc(i.key)}">${esc(name(i))}<div class="definition">${esc(def(i))}</div></th>`).join("");
  const rows = offices.map((o) => `<tr><td>${esc(o.office)}</td>${counts.map((i) => `<td>${esc(String(countCell(o[i.key], i.kind)))}</td>`).join("")}</tr>`).join("");
  return `<div class="card counts"><table><thead><tr><th>${t("office")}</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

async function statsPage() {
  const month = $("stats-month");
  if (!month.value) month.value = window.COUNTY.month;
  $("report-link").href = `/api/v1/reports/monthly.xlsx?month=${month.value}`;
  const stats = await getJSON(`/api/v1/statistics?month=${month.value}`);
  const defOf = (i) => (lang === "zh" ? i.definition_zh : i.definition_en) + (i.period === "year" ? (lang === "zh" ? "（本年累计）" : " (year to date)") : "");
  $("charts").innerHTML = countsTable(stats.counts, stats.offices) + stats.indicators.map((i) => barChart(lang === "zh" ? i.zh : i.en, stats.offices, i.key,
    stats.targets[i.key], defOf(i))).join("");
}
$("stats-month").addEventListener("change", statsPage);

window.PAGES = { map: mapPage, person: personPage, handover: handoverPage, stats: statsPage };
