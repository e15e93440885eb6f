// Every staff action on a person's case as a form (docs/console.md): the authority model's action
// that shows it (the role from /api/v1/me; the office is checked again by the API), the route it
// calls and its fields; `kinds`, where only some cases take the action (follow-ups: aftercare). The API's own validation answers with the field; the form shows it there.
//
// Each path is checked against the command centre's OpenAPI document (ApiUrl in api.ts): a form
// whose route the command centre does not serve, or serves with another method, does not compile.
import type { ApiUrl } from "./api";
import { may } from "./session";

export type FieldType = "text" | "textarea" | "select" | "datetime" | "date" | "number" | "switch" | "lines";
export interface Field {
  name: string;
  type: FieldType;
  label?: string;
  options?: string; // the dictionary (options.<name> in i18n) a select's values come from
  choices?: [string, string][]; // or [value, label] pairs the page loaded (a base, a prison)
  optional?: boolean;
  value?: string | boolean;
}
type Extra = Partial<Omit<Field, "name" | "type">>;
export type ActionPath = ApiUrl<"post"> | ApiUrl<"put">;
export interface Action {
  may: string | null;
  method: "POST" | "PUT";
  path: (...args: string[]) => ActionPath;
  fields: Field[];
  tab?: string; // the person page's tab that shows it; `row` for a button on one row
  row?: boolean;
  kinds?: string[]; // only cases of these kinds take it
  statuses?: string[]; // only cases in these statuses
  fixed?: Record<string, unknown>; // what the button itself decided (approve or refuse)
  mayOption?: (option: string) => string; // each option its own action in the authority model
  optionIf?: (option: string) => boolean;
  visible?: () => boolean;
}

const text = (name: string, extra: Extra = {}): Field => ({ name, type: "text", ...extra });
const area = (name: string, extra: Extra = {}): Field => ({ name, type: "textarea", ...extra });
const choice = (name: string, options: string, extra: Extra = {}): Field => ({ name, type: "select", options, ...extra });

export const PERSON_ACTIONS: Record<string, Action> = {
  leaveRequest: {
    may: "leave.request", tab: "leaves", method: "POST", path: (id) => `/api/v1/persons/${id}/leave-requests`,
    fields: [{ name: "start", label: "start", type: "datetime" }, { name: "end", label: "end", type: "datetime" },
      text("destination"), area("reason")],
  },
  // Approved on the spot (the office deciding as the person asks): an application approved at once.
  leave: {
    may: "leave.approve", tab: "leaves", method: "POST", path: (id) => `/api/v1/persons/${id}/leaves`,
    fields: [{ name: "start", label: "start", type: "datetime" }, { name: "end", label: "end", type: "datetime" },
      text("destination"), area("reason")],
  },
  // On one leave's row; supervision refuses a decision the user's level may not take (a long leave: the county).
  leaveApprove: { may: "leave.approve", row: true, method: "POST", path: (id, leave) => `/api/v1/persons/${id}/leaves/${leave}/approve`, fields: [] },
  leaveRefuse: { may: "leave.approve", row: true, method: "POST", path: (id, leave) => `/api/v1/persons/${id}/leaves/${leave}/refuse`, fields: [area("reason")] },
  leaveReturn: {
    may: "leave.return", row: true, method: "POST", path: (id, leave) => `/api/v1/persons/${id}/leaves/${leave}/return`,
    fields: [{ name: "returned_at", label: "returnedAt", type: "datetime" }],
  },
  sanction: {
    may: "sanction.admonition", tab: "sanctions", method: "POST", path: (id) => `/api/v1/persons/${id}/sanctions`,
    fields: [choice("kind", "sanction"), area("reason")],
    // Each kind is its own action in the authority model.
    mayOption: (kind) => `sanction.${kind}`,
  },
  // A kind the user may not decide, proposed to whoever does (警告, 提请撤销: the county bureau).
  sanctionPropose: {
    may: "sanction.propose", tab: "sanctions", method: "POST", path: (id) => `/api/v1/persons/${id}/sanction-proposals`,
    fields: [choice("kind", "sanction"), area("reason")],
    optionIf: (kind) => !may(`sanction.${kind}`),
    visible: () => ["admonition", "warning", "revocation_proposal"].some((kind) => !may(`sanction.${kind}`)),
  },
  proposalApprove: {
    may: null, row: true, method: "POST", path: (id, p) => `/api/v1/persons/${id}/sanction-proposals/${p}/decision`,
    fields: [area("note")], fixed: { decision: "approved" },
  },
  proposalRefuse: {
    may: null, row: true, method: "POST", path: (id, p) => `/api/v1/persons/${id}/sanction-proposals/${p}/decision`,
    fields: [area("note")], fixed: { decision: "refused" },
  },
  // 教育学习 and 公益活动 the office saw done (confirmed at once); the app's wait for 确认 on their row.
  hours: {
    may: "hours.record", tab: "correction", kinds: ["community_correction"], method: "POST", path: (id) => `/api/v1/persons/${id}/hours`,
    fields: [choice("kind", "hoursKind"), { name: "minutes", type: "number" }, { name: "on", label: "on", type: "date" }, area("note", { optional: true })],
  },
  planApprove: { may: "plan.approve", row: true, method: "POST", path: (id, plan) => `/api/v1/persons/${id}/plans/${plan}/approve`, fields: [] },
  helpRequest: {
    may: "help.record", tab: "correction", method: "POST", path: (id) => `/api/v1/persons/${id}/help-requests`,
    fields: [choice("kind", "helpKind"), area("note")],
  },
  helpAnswer: {
    may: "help.answer", row: true, method: "POST", path: (id, r) => `/api/v1/persons/${id}/help-requests/${r}/answer`,
    fields: [choice("outcome", "helpOutcome"), area("note")],
  },
  hoursConfirm: { may: "hours.confirm", row: true, method: "POST", path: (id, entry) => `/api/v1/persons/${id}/hours/${entry}/confirm`, fields: [] },
  positioning: {
    may: "positioning.approve", tab: "positioning", method: "POST", path: (id) => `/api/v1/persons/${id}/positioning`,
    fields: [choice("ground", "ground"), text("device_id", { label: "deviceId" }), { name: "starts_on", label: "startsOn", type: "date", optional: true }],
  },
  renew: {
    may: "positioning.approve", row: true, method: "POST",
    path: (id, target) => `/api/v1/persons/${id}/positioning/${target}/renew`, fields: [area("review_note", { label: "reviewNote" })],
  },
  followup: {
    may: "followup.record", tab: "followups", kinds: ["aftercare"], method: "POST", path: (id) => `/api/v1/persons/${id}/followups`,
    fields: [choice("kind", "followup"), { name: "at", type: "datetime" }, choice("drug_test", "drugTest", { label: "drugTest", value: "not_tested" }),
      { name: "police_record", label: "policeRecord", type: "switch", value: false }, area("note")],
  },
  trip: {
    may: "trip.record", tab: "followups", method: "POST", path: (id) => `/api/v1/persons/${id}/trips`,
    fields: [{ name: "leaves_on", label: "leavesOn", type: "date" }, { name: "returns_on", label: "returnsOn", type: "date" },
      text("destination"), { name: "reported", type: "switch", value: true }],
  },
  separation: {
    may: "separation.report", tab: "positions", method: "POST", path: (id) => `/api/v1/persons/${id}/separations`,
    fields: [{ name: "observed_at", label: "observedAt", type: "datetime" }, area("note")],
  },
  // 报到 (contract §7.5): only the office records that the person came; on a case awaiting it.
  intake: {
    may: "intake.record", tab: "overview", statuses: ["awaiting_intake"], method: "POST",
    path: (id) => `/api/v1/persons/${id}/intake`,
    fields: [{ name: "reported_at", label: "reportedAt", type: "datetime" }, area("note", { optional: true })],
  },
  contact: {
    may: "contact.record", tab: "positions", method: "POST", path: (id) => `/api/v1/persons/${id}/contact-checks`,
    fields: [choice("outcome", "contact"), { name: "at", type: "datetime" }, area("note")],
  },
  riskAssess: { may: "risk.assess", row: true, method: "POST", path: (id) => `/api/v1/persons/${id}/risk/assess`, fields: [] },
  riskOverride: {
    may: "risk.override", row: true, method: "POST",
    path: (id, target) => `/api/v1/persons/${id}/risk/${target}/override`, fields: [choice("level", "risk"), area("reason")],
  },
  // 解矫宣告: on the overview, once the term is served (the button shows then; supervision checks).
  announceEnding: {
    may: "case.ending_announce", row: true, method: "POST", path: (id) => `/api/v1/persons/${id}/ending-announcement`,
    fields: [{ name: "announced_at", label: "announcedAt", type: "datetime" }, text("place"), area("note", { optional: true })],
  },
  close: {
    may: "case.close", tab: "overview", method: "POST", path: (id) => `/api/v1/persons/${id}/close`,
    fields: [choice("outcome", "close"), area("reason"), text("to_county", { label: "toCounty", optional: true })],
  },
  // To another office inside the county (the county bureau): history and alerts go with the case.
  transfer: {
    may: "case.transfer", tab: "overview", method: "POST", path: (id) => `/api/v1/persons/${id}/transfer`,
    fields: [text("to_office", { label: "toOffice" }), area("reason")],
  },
};

// Every handover step (安置帮教衔接), on the handover's id. An unlinked notice is the county's to
// resolve (handover.resolve); the rest are the office's (handover.step).
type HandoverStep = ApiUrl<"post"> extends infer U ? (U extends `/api/v1/handovers/${string}/${infer S}` ? S : never) : never;
const handover = (step: HandoverStep, fields: Field[], may = "handover.step"): Action => ({
  may, method: "POST", path: (id) => `/api/v1/handovers/${id}/${step}`, fields,
});
export const HANDOVER_ACTIONS: Record<string, Action> = {
  resolve: handover("resolve", [text("town", { label: "town", optional: true })], "handover.resolve"),
  verification: handover("verification", [choice("result", "verification", { label: "outcome" }), area("note")]),
  "pickup-plan": handover("pickup-plan", [text("who", { label: "who" }), { name: "when", label: "at", type: "datetime" }, text("escort", { label: "escort" })]),
  "pickup-outcome": handover("pickup-outcome", [choice("outcome", "pickup")]),
  release: handover("release", [{ name: "at", type: "datetime" }]),
  arrival: handover("arrival", [{ name: "at", type: "datetime" }]),
  // 安置帮教协议 (1+1+N): the person, the office and N helpers (one a line); reviewed, kept or not.
  agreement: handover("agreement", [{ name: "terms", label: "terms", type: "lines" }, { name: "signed_on", label: "signedOn", type: "date" }, { name: "helpers", label: "helpers", type: "lines", optional: true }]),
  "agreement-check": handover("agreement-check", [{ name: "on", label: "on", type: "date" }, { name: "kept", label: "kept", type: "switch" }, area("note")]),
  application: handover("application", [{ name: "at", type: "datetime" }]),
  assistance: handover("assistance", [choice("kind", "assistance")]),
  // 重新犯罪: a later judgment the office learned of (a prison sentence too), for the re-offending rates.
  reoffence: handover("reoffence", [text("court", { label: "court" }), text("judgment_no", { label: "judgmentNo" }), { name: "sentenced_on", label: "sentencedOn", type: "date" }, choice("sentence", "sentence")]),
  services: handover("services", [choice("kind", "service"), { name: "on", label: "on", type: "date" }, area("note", { optional: true })]),
  // 信息补录 after arrival: what is known; risk assesses again with it.
  supplement: handover("supplement", ["employment", "family_support", "housing", "substance_use"].map((f) => choice(f, f, { optional: true }))),
};

// 挂牌转化 of a key person, on the key-person page's conversion list (the person's id): the office's
// measures and progress and its end; the county's own list (市级挂牌), which the county ends.
type ConversionStep = "measures" | "progress" | "county-listing" | "end";
const conversion = (step: ConversionStep, may: string, fields: Field[]): Action => ({
  may, method: "POST", path: (id) => `/api/v1/persons/${id}/conversion/${step}`, fields,
});
export const CONVERSION_ACTIONS: Record<string, Action> = {
  measures: conversion("measures", "key_persons.convert", [{ name: "measures", label: "measures", type: "lines" }, text("responsible", { label: "responsible" })]),
  progress: conversion("progress", "key_persons.convert", [{ name: "on", label: "on", type: "date" }, area("note")]),
  "county-listing": conversion("county-listing", "key_persons.county_list", [area("reason")]),
  end: conversion("end", "key_persons.convert", [area("note")]),
};
