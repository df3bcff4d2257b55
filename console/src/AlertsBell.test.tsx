import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "./i18n";
import { AlertsBell } from "./AlertsBell";

const alert = (id: string, type: string, data: object, order_id = "o-1", minute = 0) => ({
  id, type, merchant_id: "mch_001", order_id, data, created_at: `2026-11-26T01:0${minute}:00+00:00`,
});

/** A stream that sends `chunks` and then stays open, as the gateway's does. */
function stream(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      chunks.forEach((chunk) => controller.enqueue(new TextEncoder().encode(chunk)));
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe("AlertsBell", () => {
  it("lists the latest alerts and counts each new one from the stream until opened", async () => {
    sessionStorage.setItem("mpmall.merchant.token", "tok");
    const paid = alert("a2", "order_paid", { payable_fen: 8800, method: "alipay" }, "o-new", 5);
    const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
      if (url.startsWith("/api/merchant/alerts/stream")) {
        return stream([": stream open\n\n", `id: 2\nevent: order_paid\ndata: ${JSON.stringify(paid)}\n\n`]);
      }
      return new Response(JSON.stringify({ items: [alert("a1", "refund_requested", { amount_fen: 500, reason: "不想要了" })] }), {
        status: 200, headers: { "Content-Type": "application/json" },
      });
    });
    vi.stubGlobal("fetch", fetch);
    render(
      <I18nProvider initial="en">
        <App>
          <AlertsBell />
        </App>
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("alerts-count")).toHaveTextContent("1"));
    const [, streamCall] = fetch.mock.calls.find(([url]) => url === "/api/merchant/alerts/stream") ?? [];
    expect((streamCall?.headers as Record<string, string>).Authorization).toBe("Bearer tok");

    fireEvent.click(screen.getByTestId("alerts-bell"));
    const items = await screen.findAllByTestId("alert-item");
    expect(items.map((item) => item.getAttribute("data-type"))).toEqual(["order_paid", "refund_requested"]);
    expect(within(items[0]).getByText("New paid order")).toBeInTheDocument();
    expect(items[0]).toHaveTextContent("o-new · ¥88.00");
    expect(items[1]).toHaveTextContent("不想要了");
    await waitFor(() => expect(screen.getByTestId("alerts-count")).not.toHaveTextContent("1"));
  });

  it("hides itself for a role the stream refuses", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ code: "role_forbidden" }), { status: 403 })));
    render(
      <I18nProvider initial="en">
        <AlertsBell />
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.queryByTestId("alerts-bell")).toBeNull());
  });
});
