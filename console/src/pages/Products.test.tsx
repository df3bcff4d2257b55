import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { fakeApi, json } from "../test/fakeApi";
import Products, { BulkStockModal, stockDelta } from "./Products";

afterEach(() => vi.unstubAllGlobals());

const wrap = (node: React.ReactNode) => render(<I18nProvider initial="en"><App>{node}</App></I18nProvider>);

const ROW = { id: "p_tea", name: "西湖龙井", image: "", sold: 3, active: true, category_id: null, available: 2 };

describe("Products", () => {
  it("searches and filters on the server, one page at a time", async () => {
    const sent = fakeApi({
      "GET /api/merchant/products": (s) => json(200, s.query.get("q") ? { items: [ROW], total: 1 } : { items: [], total: 0 }),
      "GET /api/merchant/pickup-stores": json(200, { items: [] }),
      "GET /api/categories": json(200, { items: [] }),
    });
    wrap(<Products />);
    const search = screen.getByTestId("product-search");
    fireEvent.change(search, { target: { value: "龙井" } });
    fireEvent.keyDown(search, { key: "Enter", code: "Enter", keyCode: 13 });
    expect(await screen.findByText("西湖龙井")).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("product-low-stock"), { target: { value: "5" } });
    await waitFor(() => expect(sent.some((s) => s.query.get("low_stock") === "5")).toBe(true));
    const last = sent.filter((s) => s.path === "/api/merchant/products").pop()!;
    expect(Object.fromEntries(last.query)).toEqual({ q: "龙井", low_stock: "5", page: "1", page_size: "20" });
  });
});

describe("bulk stock", () => {
  it("computes each SKU's change: add, subtract, or set from what is available", () => {
    expect(stockDelta("add", 5, 2)).toBe(5);
    expect(stockDelta("subtract", 5, 9)).toBe(-5);
    expect(stockDelta("set", 10, 3)).toBe(7);
    expect(stockDelta("set", 0, 3)).toBe(-3);
  });

  it("sets the stock of every SKU of the selected products, each with its own key", async () => {
    const product = { ...ROW, skus: [{ id: "sku_a", available: 3 }, { id: "sku_b", available: 10 }, { id: "sku_c", available: 10 }] };
    const sent = fakeApi({
      "GET /api/merchant/products/p_tea": json(200, product),
      "POST /api/merchant/skus/sku_a/stock": json(200, {}),
    });
    const onDone = vi.fn();
    wrap(<BulkStockModal open productIds={["p_tea"]} onClose={() => {}} onDone={onDone} />);
    fireEvent.click(screen.getByText("Set to"));
    fireEvent.change(screen.getByTestId("bulk-quantity"), { target: { value: "10" } });
    fireEvent.click(screen.getByTestId("bulk-apply"));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const posts = sent.filter((s) => s.method === "POST");
    expect(posts.map((s) => [s.path, s.body])).toEqual([["/api/merchant/skus/sku_a/stock", { delta: 7 }]]);
    expect(posts[0].headers["Idempotency-Key"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("lists the SKUs the catalog refused and stays open", async () => {
    fakeApi({
      "GET /api/merchant/products/p_tea": json(200, { ...ROW, skus: [{ id: "sku_a", available: 1 }] }),
      "POST /api/merchant/skus/sku_a/stock": json(409, { title: "Not enough stock", code: "insufficient_stock" }),
    });
    const onDone = vi.fn();
    wrap(<BulkStockModal open productIds={["p_tea"]} onClose={() => {}} onDone={onDone} />);
    fireEvent.click(screen.getByText("Subtract"));
    fireEvent.change(screen.getByTestId("bulk-quantity"), { target: { value: "4" } });
    fireEvent.click(screen.getByTestId("bulk-apply"));
    expect(await screen.findByTestId("bulk-failures")).toHaveTextContent("sku_a: Not enough stock");
    expect(onDone).not.toHaveBeenCalled();
  });
});
