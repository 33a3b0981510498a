// Calls the kilowatch API with the key kept in sessionStorage; errors carry the problem document.
const KEY_STORE = "kilowatch.key";
const BASE = "api/v1";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function savedKey() {
  return sessionStorage.getItem(KEY_STORE);
}

export function saveKey(key) {
  sessionStorage.setItem(KEY_STORE, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
}

export async function call(path, { method = "GET", params, key = savedKey() } = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of [].concat(value)) query.append(name, item);
  }
  const qs = query.toString();
  const url = `${BASE}${path}${qs ? `?${qs}` : ""}`;
  let response;
  try {
    response = await fetch(url, { method, headers: { "X-API-Key": key || "", Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(0, null);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}
