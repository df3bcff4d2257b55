import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import Webhook from "./Webhook";

function json(status: number, doc: unknown) {
  return new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe("Webhook page", () => {
  it("saves the URL, shows the secret, rotates it, sends a test and lists deliveries", async () => {
    const hook = { url: "https://erp.example.com/hook", secret: "a".repeat(64), updated_at: "2026-11-26T01:00:00+00:00",
                   previous_secret_until: null };
    const rotated = { ...hook, secret: "b".repeat(64), previous_secret_until: "2026-11-27T01:00:00+00:00" };
    const delivery = { delivery_id: "d1", kind: "order_paid", status: "failed", attempts: 8, last_status: 500,
                       last_error: "HTTP 500", next_attempt_at: "2026-11-26T01:00:00+00:00", delivered_at: null };
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      const route = `${init.method} ${url.split("?")[0]}`;
      switch (route) {
        case "GET /api/merchant/webhook":
          return json(404, { code: "webhook_not_set", title: "This merchant has no webhook", status: 404 });
        case "GET /api/merchant/webhook/deliveries":
          return json(200, { items: [delivery] });
        case "PUT /api/merchant/webhook":
          return json(200, hook);
        case "POST /api/merchant/webhook/rotate-secret":
          return json(200, rotated);
        case "POST /api/merchant/webhook/test":
          return json(200, { delivered: false, status: 503, error: "HTTP 503" });
        default:
          return json(500, { title: route });
      }
    });
    vi.stubGlobal("fetch", fetch);
    render(
      <I18nProvider initial="en">
        <App>
          <Webhook />
        </App>
      </I18nProvider>,
    );
    expect(await screen.findByText("HTTP 500")).toBeInTheDocument();
    expect(screen.queryByTestId("webhook-secret")).toBeNull(); // none set yet

    fireEvent.change(screen.getByTestId("webhook-url"), { target: { value: " https://erp.example.com/hook " } });
    fireEvent.click(screen.getByTestId("webhook-save"));
    expect(await screen.findByTestId("webhook-secret")).toHaveTextContent(hook.secret);
    const put = fetch.mock.calls.find(([, init]) => init.method === "PUT") as [string, RequestInit];
    expect(JSON.parse(put[1].body as string)).toEqual({ url: "https://erp.example.com/hook" });

    // The save's busy state ends on the button an effect after the secret shows (antd's Button sets its own
    // loading state in an effect), and a loading button ignores the click that opens the confirmation.
    await waitFor(() => expect(screen.getByTestId("webhook-rotate")).not.toHaveClass("ant-btn-loading"));
    fireEvent.click(screen.getByTestId("webhook-rotate"));
    fireEvent.click(await screen.findByText("OK"));
    await waitFor(() => expect(screen.getByTestId("webhook-secret")).toHaveTextContent(rotated.secret));
    expect(screen.getByTestId("webhook-previous-until")).toBeInTheDocument();

    fireEvent.click(screen.getByTestId("webhook-test"));
    expect(await screen.findByTestId("webhook-test-result")).toHaveTextContent("Test failed: HTTP 503");
  });
});
