// Who is signed in, what their role may do (the one authority model, from /api/v1/me), and the
// county's clock: every date and time is shown in the county's zone, whatever the browser's.
import { reactive } from "vue";
import { get, post, raw, whenUnauthorized, type Schemas } from "./api";

export type Me = Schemas["Me"];

declare global {
  interface Window {
    COUNTY: { today: string; month: string; timeZone: string };
    fmtTime: (iso: string | null | undefined) => string;
  }
}

export const session = reactive<{ me: Me | null; checked: boolean }>({ me: null, checked: false });
let renewTimer: ReturnType<typeof setInterval> | undefined;
let used = false; // a key, pointer or touch since the last renewal: the session is in use (idle end, L8)
const listeners: (() => void)[] = [];
for (const kind of ["keydown", "pointerdown", "wheel", "touchstart"]) {
  window.addEventListener(kind, () => (used = true), { passive: true, capture: true });
}

/** Who is signed in, on a page that shows only once someone is (App.vue shows the login otherwise). */
export function me(): Me {
  if (!session.me) throw new Error("no one is signed in");
  return session.me;
}

export function onSignOut(fn: () => void): void {
  listeners.push(fn);
}

export function may(action: string | null): boolean {
  return Boolean(session.me && action !== null && session.me.may.includes(action));
}

export const countyWide = () => session.me?.jurisdiction === "county";

async function keepSession(): Promise<void> {
  const res = await raw(`/api/v1/auth/renew?used=${used}`, { method: "POST" });
  if (res.status === 401) signedOut();
  else if (res.ok) used = false;
}

export async function restore(): Promise<void> {
  try {
    started(await get<Me>("/api/v1/me"));
  } catch {
    session.me = null;
  }
  session.checked = true;
}

function started(me: Me): void {
  session.me = me;
  window.COUNTY = { today: me.today, month: me.month, timeZone: me.time_zone };
  clearInterval(renewTimer);
  // The token is short-lived: renew it while the session lasts.
  renewTimer = setInterval(keepSession, Math.max(10, me.token_ttl_s / 3) * 1000);
}

export async function signIn(username: string, password: string): Promise<void> {
  await post("/api/v1/auth/login", { username, password });
  started(await get<Me>("/api/v1/me"));
}

export function signedOut(): void {
  clearInterval(renewTimer);
  session.me = null;
  for (const fn of listeners) fn();
}

export async function signOut(): Promise<void> {
  await raw("/api/v1/auth/logout", { method: "POST" });
  signedOut();
}

whenUnauthorized(signedOut);

export function locale(): "en" | "zh-CN" {
  return localStorage.getItem("sps-lang") === "en" ? "en" : "zh-CN";
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(locale() === "zh-CN" ? "zh-CN" : "en-GB", {
    hour12: false,
    timeZone: session.me ? session.me.time_zone : undefined,
  });
}

export const fmtDate = (iso: string | null | undefined): string => (iso ? String(iso).slice(0, 10) : "—");

// An ISO instant from a picker's "YYYY-MM-DDTHH:mm:ss" read as the county's wall clock (me.time_zone).
export function countyInstant(local: string | null | undefined): string | null {
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
// kind and issuer (`court-order:江阴市人民法院:(2026)苏0281刑初1号` → `(2026)苏0281刑初1号`). A case
// opened from a handover carries only the handover's internal id (`handover:<uuid>`): no number a
// member of staff writes, and never a raw id on screen, so it shows as none.
export const caseNumber = (ref: string | null | undefined): string => {
  const number = ref ? ref.split(":").slice(2).join(":") : "";
  return number || "—";
};
