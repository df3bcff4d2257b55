import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import MemberPrices, { type MemberPrice } from "./MemberPrices";
import { answer, gateway, renderPage, sent } from "../test/render";
import { SKU_ROUTES, pickSku } from "../test/pickSku";

const RULE: MemberPrice = {
  id: "mp_1", sku_id: "sku_tea", category_id: null, level: 2, percent_off: 10, price_fen: null, updated_at: "2026-11-26T01:00:00Z",
};
const TREE = { items: [{ id: "cat_tea", name: "茶叶", children: [{ id: "cat_green", name: "绿茶", children: [] }] }] };

afterEach(() => vi.unstubAllGlobals());

describe("MemberPrices", { timeout: 120_000 }, () => {
  it("lists rules and sets a percent off on a SKU", async () => {
    const fetch = gateway({
      "GET /api/merchant/member-prices": () => answer(200, { items: [RULE] }),
      "PUT /api/merchant/member-prices": () => answer(200, RULE),
      "GET /api/categories": () => answer(200, TREE),
      ...SKU_ROUTES,
    });
    renderPage(<MemberPrices />);
    expect(await screen.findByTestId("rule-mp_1")).toHaveTextContent("10% off");
    fireEvent.click(screen.getByTestId("rule-new"));
    await pickSku("rule-sku", "乌龙", "乌龙茶", "规格:250g · ¥88.00");
    fireEvent.change(screen.getByTestId("rule-level"), { target: { value: "3" } });
    fireEvent.change(screen.getByTestId("rule-percent"), { target: { value: "15" } });
    fireEvent.click(screen.getByTestId("rule-submit"));
    await waitFor(() => expect(sent(fetch, "PUT /api/merchant/member-prices")).toEqual([{ sku_id: "sku_tea", level: 3, percent_off: 15 }]));
    const searched = fetch.mock.calls.map(([url]) => String(url)).filter((url) => url.startsWith("/api/merchant/products?"));
    expect(searched.some((url) => new URL(url, "http://x").searchParams.get("q") === "乌龙")).toBe(true);
  });

  it("sets a fixed price in yuan on a category picked from the tree", async () => {
    const fetch = gateway({
      "GET /api/merchant/member-prices": () => answer(200, { items: [] }),
      "PUT /api/merchant/member-prices": () => answer(200, RULE),
      "GET /api/categories": () => answer(200, TREE),
    });
    renderPage(<MemberPrices />);
    fireEvent.click(await screen.findByTestId("rule-new"));
    fireEvent.click(await screen.findByLabelText("Category"));
    fireEvent.click(screen.getByLabelText("Fixed price (yuan)"));
    fireEvent.mouseDown(within(await screen.findByTestId("rule-category")).getByRole("combobox"));
    fireEvent.click(await screen.findByTitle("绿茶"));
    fireEvent.change(await screen.findByTestId("rule-price"), { target: { value: "88.8" } });
    fireEvent.click(screen.getByTestId("rule-submit"));
    await waitFor(() => expect(sent(fetch, "PUT /api/merchant/member-prices")).toEqual([{ category_id: "cat_green", level: 2, price_fen: 8880 }]));
  });

  it("shows the API's refusal", async () => {
    gateway({
      "GET /api/merchant/member-prices": () => answer(200, { items: [] }),
      "PUT /api/merchant/member-prices": () => answer(404, { title: "Not found", detail: "No such SKU", code: "sku_not_found", status: 404 }),
      ...SKU_ROUTES,
    });
    renderPage(<MemberPrices />);
    fireEvent.click(await screen.findByTestId("rule-new"));
    await pickSku("rule-sku", "乌龙", "乌龙茶", "规格:500g · ¥160.00");
    fireEvent.change(screen.getByTestId("rule-percent"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("rule-submit"));
    expect(await screen.findByText("No such SKU")).toBeInTheDocument();
  });
});
