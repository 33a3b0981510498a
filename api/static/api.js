// Calls the kilowatch API with the session cookie; changes carry the CSRF token. Errors carry the problem document.
const CSRF_STORE = "kilowatch.csrf";
export const BASE = "api/v1";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function remember(caller) {
  if (caller?.csrf_token) sessionStorage.setItem(CSRF_STORE, caller.csrf_token);
  return caller;
}

export function url(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of [].concat(value)) query.append(name, item);
  }
  const qs = query.toString();
  return `${BASE}${path}${qs ? `?${qs}` : ""}`;
}

export async function call(path, { method = "GET", params, body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = sessionStorage.getItem(CSRF_STORE) || "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, params), {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function signIn(username, password) {
  return remember(await call("/auth/session", { method: "POST", body: { username, password } }));
}

export async function whoAmI() {
  return remember(await call("/auth/session"));
}

export async function signOut() {
  try {
    await call("/auth/session", { method: "DELETE" });
  } finally {
    sessionStorage.removeItem(CSRF_STORE);
  }
}
