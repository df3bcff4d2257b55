import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { VerifyModal } from "./Orders";

function json(status: number, doc: unknown) {
  return new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Orders: verifying a pickup code", () => {
  it("shows what is left to hand over after partial refunds", async () => {
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      const route = `${init.method} ${url.split("?")[0]}`;
      if (route === "POST /api/merchant/pickups/verify") {
        return json(200, { order_id: "o-1", state: "picked_up", lines: [
          { line_id: "l1", sku_id: "s1", name: "龙井茶", qty: 2, remaining_qty: 1 },
          { line_id: "l2", sku_id: "s2", name: "茶杯", qty: 1, remaining_qty: 0 },
        ] });
      }
      return json(500, { title: route });
    });
    vi.stubGlobal("fetch", fetch);
    const onVerified = vi.fn();
    render(
      <I18nProvider initial="en">
        <App>
          <VerifyModal open stores={[{ store_id: "sto_lake", name: "湖滨店" }]} onClose={() => {}} onVerified={onVerified} />
        </App>
      </I18nProvider>,
    );
    const select = (await screen.findByTestId("verify-store")).closest(".ant-select") as HTMLElement;
    fireEvent.mouseDown(select.querySelector(".ant-select-selector") as HTMLElement);
    fireEvent.click(await screen.findByText("湖滨店", { selector: ".ant-select-item-option-content" }));
    fireEvent.change(screen.getByTestId("verify-code"), { target: { value: "12345678" } });
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    const handOver = await screen.findByTestId("verify-hand-over");
    expect(handOver).toHaveTextContent("龙井茶 × 1");
    expect(handOver).not.toHaveTextContent("茶杯");
    expect(onVerified).toHaveBeenCalled();
    const [, sent] = fetch.mock.calls.find(([url]) => url === "/api/merchant/pickups/verify") ?? [];
    expect(JSON.parse(sent?.body as string)).toEqual({ store_id: "sto_lake", code: "12345678" });
  });
});
