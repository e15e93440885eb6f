// The staff API (contract §5) over fetch with the session cookie. Every refusal is problem+json:
// ApiError carries its detail and the fields it names, for forms to show beside each field.
//
// Every URL the console calls is checked, when the console is type-checked, against the command
// centre's own OpenAPI document (src/api/schema.d.ts, made by openapi-typescript from
// ../openapi.json; docs/console.md): a path or method the command centre does not serve is a
// type error, not a 404 in a browser test.
import type { components, paths } from "./api/schema";

export type Schemas = components["schemas"];
type Method = "get" | "post" | "put";
// The routes that answer a method: every path item lists all methods, those it lacks as `never`.
type Route<M extends Method> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];
// "/api/v1/persons/{person_id}/track" → `/api/v1/persons/${string}/track`, so that a URL built
// with a template string is checked against it as it is written.
type Fill<S extends string> = S extends `${infer Head}{${string}}${infer Tail}` ? `${Head}${string}${Fill<Tail>}` : S;
export type ApiUrl<M extends Method> = Fill<Route<M>> | `${Fill<Route<M>>}?${string}`;

// What a route answers where its OpenAPI document says nothing of it yet (most forwarded reads);
// a route given a response model in Python gets its own type from Schemas at the next generation.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface FieldError {
  field: string;
  message: string;
}
export interface Problem {
  title?: string;
  detail?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  status: number;
  problem: Problem;
  fields: Record<string, string>;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
    this.fields = Object.fromEntries((problem.errors || []).map((e) => [e.field, e.message]));
  }
}

let onUnauthorized = (): void => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

interface CallOptions {
  method?: "GET" | "POST" | "PUT";
  body?: unknown;
}

async function send(path: string, { method = "GET", body }: CallOptions): Promise<Response> {
  return fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The response itself, for a caller that reads its headers or its status alone. */
export function raw(path: ApiUrl<"get">): Promise<Response>;
export function raw(path: ApiUrl<"post">, options: CallOptions & { method: "POST" }): Promise<Response>;
export function raw(path: string, options: CallOptions = {}): Promise<Response> {
  return send(path, options);
}

async function call<T>(path: string, options: CallOptions): Promise<T> {
  const res = await send(path, options);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && !path.startsWith("/api/v1/auth/")) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data || { title: res.statusText });
  return data as T;
}

export const get = <T = Loose>(path: ApiUrl<"get">): Promise<T> => call<T>(path, {});
export const post = <T = Loose>(path: ApiUrl<"post">, body: unknown = {}): Promise<T> =>
  call<T>(path, { method: "POST", body });
export const put = <T = Loose>(path: ApiUrl<"put">, body: unknown = {}): Promise<T> =>
  call<T>(path, { method: "PUT", body });
/** A step whose method is data (the action tables in actions.ts). */
export const step = <T = Loose>(method: "POST" | "PUT", path: ApiUrl<"post"> | ApiUrl<"put">, body: unknown): Promise<T> =>
  call<T>(path, { method, body });

/** What a failed call says, for a message beside the form or page. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
