import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { OrderDrawer, type Order, type Refund } from "./Orders";
import { answer, gateway, renderPage, sent } from "../test/render";

const LINES = [
  { id: "ln_1", sku_id: "sku_1", product_id: "p_1", name: "龙井 250g", qty: 2, unit_price_fen: 8_880, line_fen: 17_760 },
  { id: "ln_2", sku_id: "sku_2", product_id: "p_1", name: "龙井 500g", qty: 1, unit_price_fen: 10, line_fen: 10 },
];
const REQUESTED: Refund = {
  id: "rf_1", status: "requested", amount_fen: 8_880, points_fen: 0, reason: "少了一盒", reject_reason: null,
  with_return: false, requested_by: "buyer", created_at: "2026-11-26T03:00:00Z",
  lines: [{ line_id: "ln_1", sku_id: "sku_1", name: "龙井 250g", qty: 1, amount_fen: 8_880 }],
};
const ORDER: Order = {
  id: "ord_1", status: "SHIPPED", user_id: "u_1", subject: "龙井", lines: LINES, subtotal_fen: 17_770, discount_fen: 0,
  points_fen: 0, freight_fen: 0, payable_fen: 17_770, payment: null, refund: REQUESTED, refunds: [REQUESTED],
  delivery: null, created_at: "2026-11-26T01:00:00Z", shipped_at: "2026-11-26T02:00:00Z",
};

afterEach(() => vi.unstubAllGlobals());

function renderDrawer(onChanged = vi.fn()) {
  renderPage(<OrderDrawer order={ORDER} onClose={() => {}} onChanged={onChanged} />);
  return onChanged;
}

describe("OrderDrawer refunds", { timeout: 60_000 }, () => { // modals and popups animate: slow on a busy machine
  it("approves a refund at its own path and shows the order again", async () => {
    const approved = { ...REQUESTED, status: "approved" };
    const fetch = gateway({
      "POST /api/merchant/refunds/rf_1/approve": () => answer(200, approved),
      "GET /api/merchant/orders": () => answer(200, { items: [{ ...ORDER, refund: approved, refunds: [approved] }] }),
    });
    const onChanged = renderDrawer();
    fireEvent.click(await screen.findByTestId("refund-approve-rf_1"));
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ refunds: [approved] })));
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/merchant/refunds/rf_1/approve");
    expect((init!.headers as Record<string, string>)["Idempotency-Key"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("rejects with a reason", async () => {
    const fetch = gateway({
      "POST /api/merchant/refunds/rf_1/reject": () => answer(200, { ...REQUESTED, status: "rejected" }),
      "GET /api/merchant/orders": () => answer(200, { items: [ORDER] }),
    });
    renderDrawer();
    fireEvent.click(await screen.findByTestId("refund-reject-rf_1"));
    fireEvent.change(await screen.findByTestId("refund-reject-reason"), { target: { value: "已签收无破损" } });
    fireEvent.click(screen.getByTestId("refund-reject-submit"));
    await waitFor(() => expect(sent(fetch, "POST /api/merchant/refunds/rf_1/reject")).toEqual([{ reason: "已签收无破损" }]));
  });

  it("refunds chosen units of chosen lines on the merchant's own account", async () => {
    const fetch = gateway({
      "POST /api/merchant/orders/ord_1/refund": () => answer(201, { ...REQUESTED, id: "rf_2", status: "approved" }),
      "GET /api/merchant/orders": () => answer(200, { items: [ORDER] }),
    });
    renderDrawer();
    fireEvent.change(await screen.findByTestId("refund-qty-ln_2"), { target: { value: "1" } });
    fireEvent.change(screen.getByTestId("partial-refund-reason"), { target: { value: "缺货" } });
    fireEvent.click(screen.getByTestId("partial-refund-submit"));
    await waitFor(() => expect(sent(fetch, "POST /api/merchant/orders/ord_1/refund")).toEqual([
      { reason: "缺货", lines: [{ line_id: "ln_2", qty: 1 }] },
    ]));
  });

  it("sends nothing without a unit chosen", async () => {
    const fetch = gateway({});
    renderDrawer();
    fireEvent.change(await screen.findByTestId("partial-refund-reason"), { target: { value: "缺货" } });
    fireEvent.click(screen.getByTestId("partial-refund-submit"));
    expect(await screen.findByTestId("partial-refund-error")).toHaveTextContent("Choose at least one unit");
    expect(fetch).not.toHaveBeenCalled();
  });
});
