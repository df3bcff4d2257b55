/* The gateway's merchant and platform APIs, same origin. The token (a merchant's staff or a platform
 * operator) lives in sessionStorage (gone with the tab); a 401 anywhere signs the user out. Errors are the
 * API's problem documents, kept whole for the pages. */

const TOKEN = "mpmall.merchant.token";
const MERCHANT = "mpmall.merchant.id";
const ROLE = "mpmall.merchant.role";
const KIND = "mpmall.session.kind";

export type Role = "owner" | "manager" | "clerk";
/** Who holds the token: a merchant's staff member or a platform operator (the operator's name in MERCHANT). */
export type SessionKind = "staff" | "operator";

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
    /** The problem document's other members (e.g. `role` and `required` of a `role_forbidden`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN),
  merchantId: (): string => sessionStorage.getItem(MERCHANT) ?? "",
  /** The staff member's role as sign-in reported it (the menu shows what it may do; the gateway decides). */
  role: (): Role => (sessionStorage.getItem(ROLE) as Role | null) ?? "owner",
  kind: (): SessionKind => (sessionStorage.getItem(KIND) === "operator" ? "operator" : "staff"),
  save(token: string, merchantId: string, role: Role = "owner", kind: SessionKind = "staff") {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(MERCHANT, merchantId);
    sessionStorage.setItem(ROLE, role);
    sessionStorage.setItem(KIND, kind);
  },
  clear() {
    for (const key of [TOKEN, MERCHANT, ROLE, KIND]) sessionStorage.removeItem(key);
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

/** Sentences for refusals with a known code, in the console's language (i18n's provider sets them): a
 * refusal reads as a sentence wherever a page shows `err.message`; an unknown code keeps the API's words. */
type RefusalWords = (code: string, doc: Record<string, unknown>) => string | undefined;
let refusalWords: RefusalWords = () => undefined;
export function setRefusalWords(words: RefusalWords) {
  refusalWords = words;
}

export async function problemOf(resp: Response): Promise<ApiError> {
  try {
    const doc = await resp.json();
    const errors: FieldError[] = Array.isArray(doc.errors) ? doc.errors : [];
    const fields = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    const text = [doc.detail || doc.title || `HTTP ${resp.status}`, fields].filter(Boolean).join(" — ");
    const code = String(doc.code ?? "error");
    return new ApiError(resp.status, code, refusalWords(code, doc) ?? text, errors, doc);
  } catch {
    return new ApiError(resp.status, "error", `HTTP ${resp.status}`);
  }
}

export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  return send<T>(method, path, options, options.body === undefined ? undefined : JSON.stringify(options.body),
    options.body === undefined ? undefined : "application/json");
}

/** A file as the request body (uploads), sent as plain bytes: the gateway reads its type from them. */
export async function upload<T = unknown>(path: string, file: Blob): Promise<T> {
  return send<T>("POST", path, {}, file, "application/octet-stream");
}

async function send<T>(method: string, path: string, options: CallOptions, body: BodyInit | undefined,
  contentType: string | undefined): Promise<T> {
  const headers: Record<string, string> = {};
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (contentType) headers["Content-Type"] = contentType;
  if (options.idempotent || options.key) headers["Idempotency-Key"] = options.key ?? newKey();
  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query)) {
      if (value !== undefined && value !== "") params.set(name, String(value));
    }
    if ([...params].length) url += `?${params}`;
  }
  const resp = await fetch(url, { method, headers, body });
  if (resp.status === 401 && token) {
    session.clear();
  }
  if (!resp.ok) throw await problemOf(resp);
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

export async function signIn(username: string, password: string): Promise<void> {
  const answer = await call<{ token: string; merchant_id: string; role?: Role }>("POST", "/api/merchant/session", {
    body: { username, password },
  });
  session.save(answer.token, answer.merchant_id, answer.role ?? "owner");
}

export async function operatorSignIn(username: string, password: string): Promise<void> {
  const answer = await call<{ token: string }>("POST", "/api/platform/session", { body: { username, password } });
  session.save(answer.token, username, "owner", "operator");
}

export async function signOut(): Promise<void> {
  try {
    await call("DELETE", session.kind() === "operator" ? "/api/platform/session" : "/api/merchant/session");
  } finally {
    session.clear();
  }
}
