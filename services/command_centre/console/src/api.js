// The staff API (contract §5) over fetch with the session cookie. Every refusal is problem+json:
// ApiError carries its detail and the fields it names, for forms to show beside each field.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
    this.fields = Object.fromEntries((problem.errors || []).map((e) => [e.field, e.message]));
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function call(path, { method = "GET", body, raw = false } = {}) {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (raw) return res;
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && !path.startsWith("/api/v1/auth/")) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data || { title: res.statusText });
  return data;
}

export const get = (path) => call(path);
export const post = (path, body = {}) => call(path, { method: "POST", body });
export const put = (path, body = {}) => call(path, { method: "PUT", body });
