/* The gateway's merchant API, same origin. The staff token lives in sessionStorage (gone with the tab);
 * a 401 anywhere signs the user out. Errors are the API's problem documents, kept whole for the pages. */

const TOKEN = "mpmall.merchant.token";
const MERCHANT = "mpmall.merchant.id";

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN),
  merchantId: (): string => sessionStorage.getItem(MERCHANT) ?? "",
  save(token: string, merchantId: string) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(MERCHANT, merchantId);
  },
  clear() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(MERCHANT);
    signedOutListeners.forEach((listener) => listener());
  },
  onSignedOut(listener: Listener): () => void {
    signedOutListeners.add(listener);
    return () => signedOutListeners.delete(listener);
  },
};

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Creations a retry must not repeat: a fresh Idempotency-Key per user action. */
  idempotent?: boolean;
  /** The caller's own Idempotency-Key, kept across retries of one action (a store charge). */
  key?: string;
}

/** 128 random bits as hex (crypto.randomUUID exists only on https or localhost pages). */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function problemOf(resp: Response): Promise<ApiError> {
  try {
    const doc = await resp.json();
    const errors: FieldError[] = Array.isArray(doc.errors) ? doc.errors : [];
    const fields = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    const text = [doc.detail || doc.title || `HTTP ${resp.status}`, fields].filter(Boolean).join(" — ");
    return new ApiError(resp.status, String(doc.code ?? "error"), text, errors);
  } catch {
    return new ApiError(resp.status, "error", `HTTP ${resp.status}`);
  }
}

export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotent || options.key) headers["Idempotency-Key"] = options.key ?? newKey();
  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query)) {
      if (value !== undefined && value !== "") params.set(name, String(value));
    }
    if ([...params].length) url += `?${params}`;
  }
  const resp = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (resp.status === 401 && token) {
    session.clear();
  }
  if (!resp.ok) throw await problemOf(resp);
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

export async function signIn(username: string, password: string): Promise<void> {
  const answer = await call<{ token: string; merchant_id: string }>("POST", "/api/merchant/session", {
    body: { username, password },
  });
  session.save(answer.token, answer.merchant_id);
}

export async function signOut(): Promise<void> {
  try {
    await call("DELETE", "/api/merchant/session");
  } finally {
    session.clear();
  }
}
