// The board's alerts: one snapshot with its feed position, then the live feed (SSE) from that
// position, gap-free on reconnect (the browser resends Last-Event-ID). Persons are named by
// masked name and case number (/api/v1/person-labels), never by a raw id.
import { reactive } from "vue";
import { post, raw, type Schemas } from "./api";
import { session } from "./session";

/** An alert as alerts.v1 carries it (contract §3); `fresh` while new on this board. */
export type Alert = Schemas["AlertData"] & { fresh?: boolean };
/** A person as the board names them: masked name and case number, or null when not found. */
export type PersonLabel = Schemas["PersonLabel"] | null;
/** A step staff take on an alert from the board (the dialogs ask for dispose and silence). */
export type AlertStep = "acknowledge" | "dispose" | "close" | "silence";
export interface Storm {
  rule_id: string;
  members: Alert[];
  first: number;
  last: number;
}

export const board = reactive({
  alerts: new Map<string, Alert>(),
  labels: {} as Record<string, PersonLabel>,
  connected: false,
  lastPulse: 0,
  announcement: "",
  loaded: false,
});
let source: EventSource | null = null;
let onRaised: (alert: Alert) => void = () => {};
const pendingLabels = new Set<string>();
let labelTimer: ReturnType<typeof setTimeout> | null = null;

export function whenRaised(fn: (alert: Alert) => void): void {
  onRaised = fn;
}

export async function loadBoard(): Promise<void> {
  const res = await raw("/api/v1/alerts?limit=1000");
  if (!res.ok) return;
  const seq = res.headers.get("X-Alerts-Seq") || "0";
  board.alerts.clear();
  for (const a of (await res.json()) as Alert[]) board.alerts.set(a.alert_id, a);
  board.loaded = true;
  wantLabels([...board.alerts.values()].map((a) => a.person_id));
  follow(seq);
}

export function stopBoard(): void {
  if (source) source.close();
  source = null;
  board.connected = false;
  board.loaded = false;
  board.alerts.clear();
}

function pulse(): void {
  board.lastPulse = Date.now();
}

function follow(seq: string): void {
  if (source) source.close();
  const feed = new EventSource(`/api/v1/alerts/stream?after=${encodeURIComponent(seq)}`);
  source = feed;
  feed.onopen = () => {
    board.connected = true;
    pulse();
  };
  feed.onerror = () => {
    board.connected = false;
  };
  feed.addEventListener("heartbeat", pulse);
  feed.addEventListener("session-ended", () => {
    feed.close();
    board.connected = false;
  });
  // The server could not keep up with this board: reload it whole rather than miss a change.
  feed.addEventListener("resync", () => {
    feed.close();
    loadBoard();
  });
  // Every step the registry has (session.me.alert_steps, shared/events/registry.py): a transfer moves the
  // alert to its new office on the board as any other step does.
  for (const type of session.me?.alert_steps || []) {
    feed.addEventListener(`sps.alert.${type}`, (e: MessageEvent<string>) => {
      const a = JSON.parse(e.data) as Alert;
      const before = board.alerts.get(a.alert_id);
      if (before && (before.version || 0) > (a.version || 0)) return;
      board.alerts.set(a.alert_id, { ...a, fresh: true });
      pulse();
      wantLabels([a.person_id]);
      if (type === "raised") onRaised(a);
    });
  }
}

// Ask for the names of persons not yet known, a batch at a time (a storm of 1,000 alerts is two calls).
export function wantLabels(ids: string[]): void {
  for (const id of ids) if (!(id in board.labels)) pendingLabels.add(id);
  if (!pendingLabels.size || labelTimer) return;
  labelTimer = setTimeout(async () => {
    labelTimer = null;
    const batch = [...pendingLabels].slice(0, 500);
    for (const id of batch) pendingLabels.delete(id);
    try {
      const found = await post<Record<string, PersonLabel>>("/api/v1/person-labels", { person_ids: batch });
      for (const id of batch) board.labels[id] = found[id] || null;
    } catch {
      for (const id of batch) board.labels[id] = null;
    }
    if (pendingLabels.size) wantLabels([]);
  }, 150);
}

export function applyStep(alert: Alert): void {
  const before = board.alerts.get(alert.alert_id);
  if (!before || (before.version || 0) <= alert.version) board.alerts.set(alert.alert_id, alert);
}

const OPEN = ["open", "escalated"];
export const isLive = (a: Alert): boolean => a.status !== "closed";

// The time an alert's next step is due: acknowledgement while open, disposal once acknowledged.
export function dueAt(a: Alert): string | null {
  if (OPEN.includes(a.status)) return a.ack_due_at;
  if (a.status === "acknowledged") return a.dispose_due_at;
  return null;
}

// Urgency for a shift: overdue first, then by the nearest deadline; done alerts last, newest first.
export function byUrgency(list: Alert[], now: number): Alert[] {
  const key = (a: Alert): [number, number] => {
    const due = dueAt(a);
    if (!due) return [2, -new Date(a.raised_at).getTime()];
    const t = new Date(due).getTime();
    return [t <= now ? 0 : 1, t];
  };
  return [...list].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1] - kb[1];
  });
}

// An alert storm (as Alertmanager groups): at least `size` alerts of one rule raised within
// `window_minutes` (policy/console.yaml) become one group, flagged as possibly systemic (a boundary or device-clock fault).
export function groupStorms(
  list: Alert[],
  { size, window_minutes: windowMinutes }: Schemas["Storm"],
): { storms: Storm[]; rest: Alert[] } {
  const byRule = new Map<string, Alert[]>();
  for (const a of list) {
    const same = byRule.get(a.rule_id) ?? [];
    same.push(a);
    byRule.set(a.rule_id, same);
  }
  const storms: Storm[] = [];
  const stormed = new Set<string>();
  for (const [rule, alerts] of byRule) {
    if (alerts.length < size) continue;
    const times = alerts.map((a) => new Date(a.raised_at).getTime()).sort((x, y) => x - y);
    // The rule's largest burst is its storm: the latest window alone would let a later handful of
    // ordinary alerts hide a thousand from earlier in the shift.
    let start = 0;
    let best: [number, number] | null = null;
    let most = size - 1;
    for (let end = 0; end < times.length; end++) {
      while (times[end] - times[start] > windowMinutes * 60000) start++;
      if (end - start + 1 > most) {
        most = end - start + 1;
        best = [times[start], times[end]];
      }
    }
    if (!best) continue;
    const [first, last] = best;
    const members = alerts.filter((a) => {
      const t = new Date(a.raised_at).getTime();
      return t >= first - windowMinutes * 60000 && t <= last + windowMinutes * 60000;
    });
    for (const a of members) stormed.add(a.alert_id);
    storms.push({ rule_id: rule, members, first, last });
  }
  return { storms, rest: list.filter((a) => !stormed.has(a.alert_id)) };
}
