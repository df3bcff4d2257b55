/* A fetch stand-in for page tests: answers by "METHOD path" and records every call (the gateway itself is
 * exercised by the e2e tests). */
import { vi } from "vitest";

export interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

type Answer = Response | ((sent: Sent) => Response);

export const json = (status: number, doc: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json", ...headers } });

export function fakeApi(routes: Record<string, Answer>) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, "http://console.test");
    const method = init.method ?? "GET";
    const raw = init.body;
    const body = typeof raw === "string" ? JSON.parse(raw) : raw;
    const call = { method, path: url.pathname, query: url.searchParams, body, headers: (init.headers ?? {}) as Record<string, string> };
    sent.push(call);
    const answer = routes[`${method} ${url.pathname}`];
    if (!answer) return json(404, { title: "not faked", code: "not_found" });
    return typeof answer === "function" ? answer(call) : answer.clone();
  });
  vi.stubGlobal("fetch", fetch);
  return sent;
}
