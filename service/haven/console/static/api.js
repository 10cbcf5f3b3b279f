// Calls to Haven's own API, on this origin only, with the signed-in key.
// The key lives in sessionStorage: gone when the tab closes, never in a cookie or kept on disk.

const KEY = "haven.console.key";
const MODERATOR = "haven.console.moderator";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  get moderator() {
    return sessionStorage.getItem(MODERATOR) || "";
  },
  start(key, moderator) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(MODERATOR, moderator);
  },
  end() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(MODERATOR);
  },
};

export async function call(method, path, body, key = session.key) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (key) {
    headers.Authorization = `Bearer ${key}`;
  }
  const init = { method, headers, credentials: "omit", cache: "no-store", redirect: "error" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  // A path, never a full address: every call goes to the origin that served the console.
  const answer = await fetch(path, init);
  const text = await answer.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: `unexpected answer (HTTP ${answer.status})` };
  }
  if (!answer.ok) {
    throw new ApiError(answer.status, parsed || {});
  }
  return parsed;
}

const id = (value) => encodeURIComponent(value);

export const api = {
  queue: (moderator) => call("GET", `/v1/queue?limit=100&moderator=${id(moderator)}`),
  claim: (decision, moderator) => call("POST", `/v1/queue/${id(decision)}/claim`, { moderator }),
  review: (decision, outcome, moderator, note) =>
    call("POST", `/v1/decisions/${id(decision)}/review`, { outcome, moderator, note }),
  acknowledge: (decision, moderator) => call("POST", `/v1/decisions/${id(decision)}/acknowledge`, { moderator }),
  history: (decision) => call("GET", `/v1/decisions/${id(decision)}/history`),
  explain: (request) => call("POST", "/v1/policies/explain", request),
};

// What to tell a person about a refused call, in words.
export function explainError(error) {
  if (!(error instanceof ApiError)) {
    return "Haven could not be reached. Check your connection and try again.";
  }
  if (error.status === 401) {
    return "This API key is not known to Haven. Check it, or ask your operator for a new one.";
  }
  if (error.status === 403) {
    return `This API key may not do that: ${error.message}.`;
  }
  return error.message;
}
