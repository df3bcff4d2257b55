/* Authenticated downloads: the staff token goes in a header, so files are fetched, then handed to the browser
 * as a blob. Large ones are read as a stream so the page can show how far it has got. */
import { newKey, problemOf, session } from "./api";

export interface Progress {
  bytes: number;
  total: number | null; // from Content-Length when the server knows it
  rows: number; // lines read so far (CSV: one row per line, the header included)
  expectedRows: number | null; // X-Total-Count: the rows a streamed export will hold (no header)
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = session.token();
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

function fileName(resp: Response, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") ?? "");
  return match ? match[1] : fallback;
}

/** Read `url` as a stream, reporting progress, and save it as a file. Resolves with the last progress. */
export async function download(url: string, fallbackName: string, onProgress: (p: Progress) => void = () => {}): Promise<Progress> {
  const resp = await fetch(url, { headers: headers() });
  if (!resp.ok) throw await problemOf(resp);
  const length = Number(resp.headers.get("Content-Length"));
  const expected = resp.headers.get("X-Total-Count");
  const progress: Progress = {
    bytes: 0, total: Number.isFinite(length) && length > 0 ? length : null, rows: 0,
    expectedRows: expected === null ? null : Number(expected),
  };
  const chunks: BlobPart[] = [];
  const reader = resp.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      progress.bytes += value.byteLength;
      for (const byte of value) if (byte === 10) progress.rows += 1;
      onProgress({ ...progress });
    }
  } else {
    chunks.push(await resp.arrayBuffer());
  }
  saveBlob(new Blob(chunks, { type: resp.headers.get("Content-Type") ?? "application/octet-stream" }),
    fileName(resp, fallbackName));
  return progress;
}

export function saveBlob(blob: Blob, name: string) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export interface RowError {
  row: number;
  column: string;
  code: string;
  detail: string;
}

/** A refused sheet: the problem's text and its errors by row and column. */
export class SheetError extends Error {
  constructor(message: string, readonly rows: RowError[]) {
    super(message);
  }
}

/** Send a file's bytes as the body of a POST (the import API takes the sheet itself, not a form). */
export async function upload<T>(url: string, file: Blob): Promise<T> {
  const resp = await fetch(url, {
    method: "POST",
    headers: headers({ "Content-Type": "application/octet-stream", "Idempotency-Key": newKey() }),
    body: file,
  });
  if (resp.status === 401 && session.token()) session.clear();
  if (!resp.ok) {
    const problem = await problemOf(resp.clone());
    const doc = await resp.json().catch(() => ({}));
    throw new SheetError(problem.message, Array.isArray(doc.row_errors) ? doc.row_errors : []);
  }
  return (await resp.json()) as T;
}
