import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { fakeApi, json } from "../test/fakeApi";
import Orders from "./Orders";

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
