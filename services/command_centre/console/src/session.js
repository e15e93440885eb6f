// Who is signed in, what their role may do (the one authority model, from /api/v1/me), and the
// county's clock: every date and time is shown in the county's zone, whatever the browser's.
import { reactive } from "vue";
import { call, get, post, whenUnauthorized } from "./api.js";

export const session = reactive({ me: null, checked: false });
let renewTimer = null;
let used = false; // a key, pointer or touch since the last renewal: the session is in use (idle end, L8)
const listeners = [];
for (const kind of ["keydown", "pointerdown", "wheel", "touchstart"]) {
  window.addEventListener(kind, () => (used = true), { passive: true, capture: true });
}

export function onSignOut(fn) {
  listeners.push(fn);
}

export function may(action) {
  return Boolean(session.me && session.me.may.includes(action));
}

export const countyWide = () => session.me?.jurisdiction === "county";

async function keepSession() {
  const res = await call(`/api/v1/auth/renew?used=${used}`, { method: "POST", raw: true });
  if (res.status === 401) signedOut();
  else if (res.ok) used = false;
}

export async function restore() {
  try {
    started(await get("/api/v1/me"));
  } catch {
    session.me = null;
  }
  session.checked = true;
}

function started(me) {
  session.me = me;
  window.COUNTY = { today: me.today, month: me.month, timeZone: me.time_zone };
  clearInterval(renewTimer);
  // The token is short-lived: renew it while the session lasts.
  renewTimer = setInterval(keepSession, Math.max(10, me.token_ttl_s / 3) * 1000);
}

export async function signIn(username, password) {
  await post("/api/v1/auth/login", { username, password });
  started(await get("/api/v1/me"));
}

export function signedOut() {
  clearInterval(renewTimer);
  session.me = null;
  for (const fn of listeners) fn();
}

export async function signOut() {
  await call("/api/v1/auth/logout", { method: "POST", raw: true });
  signedOut();
}

whenUnauthorized(signedOut);

export function locale() {
  return localStorage.getItem("sps-lang") === "en" ? "en" : "zh-CN";
}

export function fmtTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(locale() === "zh-CN" ? "zh-CN" : "en-GB", {
    hour12: false,
    timeZone: session.me ? session.me.time_zone : undefined,
  });
}

export const fmtDate = (iso) => (iso ? String(iso).slice(0, 10) : "—");

// An ISO instant from a picker's "YYYY-MM-DDTHH:mm:ss" read as the county's wall clock (me.time_zone).
export function countyInstant(local) {
  if (!local) return null;
  const guess = new Date(`${local}Z`);
  const tz = session.me ? session.me.time_zone : "UTC";
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(guess);
  const v = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  const offset = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) - guess.getTime();
  return new Date(guess.getTime() - offset).toISOString();
}

window.fmtTime = fmtTime; // the browser tests read times as the console shows them

// A case's number as staff write it: the order's or notice's own number, without the source's
// kind and issuer (`court-order:江阴市人民法院:(2026)苏0281刑初1号` → `(2026)苏0281刑初1号`).
export const caseNumber = (ref) => (ref ? ref.split(":").slice(2).join(":") || ref : "—");
