import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { fakeApi, json } from "../test/fakeApi";
import Orders, { VerifyModal } from "./Orders";

afterEach(() => vi.unstubAllGlobals());

const ORDER = {
  id: "ord_abc123", status: "PAID", user_id: "u_1", subject: "西湖龙井", lines: [], subtotal_fen: 100, discount_fen: 0,
  points_fen: 0, freight_fen: 0, payable_fen: 100, payment: null, refund: null, delivery: { method: "pickup" },
  created_at: "2026-11-26T02:00:00+00:00", shipped_at: null,
};

describe("Orders", () => {
  it("asks the server for a page of orders matching the number typed, and pages through the total", async () => {
    const sent = fakeApi({
      "GET /api/merchant/orders": (s) => json(200, s.query.get("q") ? { items: [ORDER], total: 41 } : { items: [], total: 0 }),
      "GET /api/merchant/pickup-stores": json(200, { items: [] }),
    });
    render(<I18nProvider initial="en"><App><Orders /></App></I18nProvider>);
    const search = screen.getByTestId("order-search");
    fireEvent.change(search, { target: { value: "abc" } });
    fireEvent.keyDown(search, { key: "Enter", code: "Enter", keyCode: 13 });
    expect(await screen.findByTestId("order-ord_abc123")).toBeInTheDocument();
    const asked = sent.filter((s) => s.path === "/api/merchant/orders").pop()!;
    expect(Object.fromEntries(asked.query)).toEqual({ q: "abc", page: "1", limit: "20" });
    fireEvent.click(screen.getByTitle("3"));  // 41 orders: three pages
    await waitFor(() => expect(sent.filter((s) => s.path === "/api/merchant/orders").pop()!.query.get("page")).toBe("3"));
  });
});

function response(status: number, doc: unknown) {
  return new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });
}

describe("Orders' total", () => {
  it("shows an exact total as it is and an estimate as about so many", async () => {
    let exact = true;
    fakeApi({
      "GET /api/merchant/orders": () => json(200, { items: [ORDER], total: exact ? 41 : 25_000, total_exact: exact }),
      "GET /api/merchant/pickup-stores": json(200, { items: [] }),
    });
    const { unmount } = render(<I18nProvider initial="en"><App><Orders /></App></I18nProvider>);
    expect(await screen.findByTestId("orders-total")).toHaveTextContent(/^41 orders$/);
    unmount();
    exact = false;
    render(<I18nProvider initial="zh"><App><Orders /></App></I18nProvider>);
    expect(await screen.findByTestId("orders-total")).toHaveTextContent(/^约 25000 单$/);
  });
});

describe("Orders: verifying a pickup code", () => {
  it("shows what is left to hand over after partial refunds", async () => {
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      const route = `${init.method} ${url.split("?")[0]}`;
      if (route === "POST /api/merchant/pickups/verify") {
        return response(200, { order_id: "o-1", state: "picked_up", lines: [
          { line_id: "l1", sku_id: "s1", name: "龙井茶", qty: 2, remaining_qty: 1 },
          { line_id: "l2", sku_id: "s2", name: "茶杯", qty: 1, remaining_qty: 0 },
        ] });
      }
      return response(500, { title: route });
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
