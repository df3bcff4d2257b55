/* A page as the console mounts it (words, antd's App for messages, a router at `route`) and the gateway's
 * answers as tests script them. */
import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { App as AntApp } from "antd";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { I18nProvider, type Lang } from "../i18n";

export function renderPage(ui: ReactNode, { lang = "en", route = "/" }: { lang?: Lang; route?: string } = {}) {
  return render(
    <I18nProvider initial={lang}>
      <AntApp>
        <MemoryRouter initialEntries={[route]}>
          <Routes>
            <Route path="*" element={ui} />
          </Routes>
        </MemoryRouter>
      </AntApp>
    </I18nProvider>,
  );
}

export const answer = (status: number, doc: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });

type Script = Record<string, (init: RequestInit) => Response | Promise<Response>>;

/** fetch answering "METHOD /path" (the query left off) from the script; anything else is a 404. */
export function gateway(script: Script) {
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const key = `${init.method ?? "GET"} ${String(url).split("?")[0]}`;
    const handler = script[key];
    return handler ? handler(init) : answer(404, { title: `unscripted ${key}`, code: "not_found" });
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

/** The JSON bodies sent to one "METHOD /path". */
export const sent = (fetch: ReturnType<typeof gateway>, key: string) =>
  fetch.mock.calls
    .filter(([url, init]) => `${init?.method ?? "GET"} ${String(url).split("?")[0]}` === key)
    .map(([, init]) => (typeof init?.body === "string" ? JSON.parse(init.body) : init?.body));
