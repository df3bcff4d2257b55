/* The merchant's live alerts: GET /api/merchant/alerts/stream read with fetch (EventSource cannot send the
 * Authorization header), parsed as server-sent events, reconnecting with Last-Event-ID so nothing is missed. */
import { problemOf, session } from "./api";

export type AlertType = "order_paid" | "refund_requested" | "pickup_not_ready" | "test";

export interface Alert {
  id: string;
  type: AlertType | string;
  merchant_id: string;
  order_id: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Split `buffer` into complete events (blank-line terminated); the unfinished tail is returned as `rest`.
 * Comment lines (": keepalive") are skipped. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const normalised = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalised.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: SseEvent[] = [];
  for (const block of blocks) {
    const event: SseEvent = { data: "" };
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "id") event.id = value;
      else if (field === "event") event.event = value;
    }
    if (data.length) events.push({ ...event, data: data.join("\n") });
  }
  return { events, rest };
}

export interface StreamOptions {
  onAlert: (alert: Alert) => void;
  /** The stream is refused for good (403: this role does not see alerts). */
  onRefused?: (status: number) => void;
  signal: AbortSignal;
  retryMs?: number;
}

/** Read the stream until `signal` aborts, reconnecting after a pause when it ends or fails. */
export async function streamAlerts({ onAlert, onRefused, signal, retryMs = 3000 }: StreamOptions): Promise<void> {
  let lastId = "";
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      const token = session.token();
      if (token) headers.Authorization = `Bearer ${token}`;
      if (lastId) headers["Last-Event-ID"] = lastId;
      const resp = await fetch("/api/merchant/alerts/stream", { headers, signal });
      if (resp.status === 401 || resp.status === 403) {
        if (resp.status === 401) session.clear();
        onRefused?.(resp.status);
        return;
      }
      if (!resp.ok || !resp.body) throw await problemOf(resp);
      const reader = resp.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const parsed = parseSse(buffer);
        buffer = parsed.rest;
        for (const event of parsed.events) {
          if (event.id) lastId = event.id;
          try {
            onAlert(JSON.parse(event.data) as Alert);
          } catch {
            // not an alert document: skip it
          }
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
