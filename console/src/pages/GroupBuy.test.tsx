import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import GroupBuy, { type Deal } from "./GroupBuy";
import { answer, gateway, renderPage, sent } from "../test/render";
import { SKU_ROUTES, pickSku } from "../test/pickSku";

const DEAL: Deal = {
  id: "gbd_1", sku_id: "sku_tea", name: "两人团", group_price_fen: 7990, group_size: 2, time_limit_hours: 24,
  starts_at: "2026-11-26T00:00:00+08:00", ends_at: "2026-12-03T00:00:00+08:00", status: "active",
};
const OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;

afterEach(() => vi.unstubAllGlobals());

describe("GroupBuy", { timeout: 120_000 }, () => {
  it("creates a deal: yuan to fen, times with their offset, an Idempotency-Key", async () => {
    const fetch = gateway({
      "GET /api/merchant/group-buy/deals": () => answer(200, { items: [] }),
      "POST /api/merchant/group-buy/deals": () => answer(201, DEAL),
      ...SKU_ROUTES,
    });
    renderPage(<GroupBuy />);
    fireEvent.click(await screen.findByTestId("deal-new"));
    await pickSku("deal-sku", "乌龙", "乌龙茶", "规格:250g · ¥88.00");
    fireEvent.change(screen.getByTestId("deal-name"), { target: { value: "两人团" } });
    fireEvent.change(screen.getByTestId("deal-price"), { target: { value: "79.9" } });
    fireEvent.click(screen.getByTestId("deal-submit"));
    await waitFor(() => expect(sent(fetch, "POST /api/merchant/group-buy/deals")).toHaveLength(1));
    const [body] = sent(fetch, "POST /api/merchant/group-buy/deals");
    expect(body).toMatchObject({ sku_id: "sku_tea", name: "两人团", group_price_fen: 7990, group_size: 2, time_limit_hours: 24 });
    expect(body.starts_at).toMatch(OFFSET);
    expect(body.ends_at).toMatch(OFFSET);
    const post = fetch.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect((post[1]!.headers as Record<string, string>)["Idempotency-Key"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("edits the price of a deal", async () => {
    const fetch = gateway({
      "GET /api/merchant/group-buy/deals": () => answer(200, { items: [DEAL] }),
      "PATCH /api/merchant/group-buy/deals/gbd_1": () => answer(200, DEAL),
    });
    renderPage(<GroupBuy />);
    expect(await screen.findByText("¥79.90")).toBeInTheDocument();
    fireEvent.click(screen.getByTestId("deal-edit-gbd_1"));
    expect(await screen.findByTestId("deal-price")).toHaveValue("79.90");
    fireEvent.change(screen.getByTestId("deal-price"), { target: { value: "69" } });
    fireEvent.click(screen.getByTestId("deal-submit"));
    await waitFor(() => expect(sent(fetch, "PATCH /api/merchant/group-buy/deals/gbd_1")).toHaveLength(1));
    expect(sent(fetch, "PATCH /api/merchant/group-buy/deals/gbd_1")[0]).toMatchObject({ group_price_fen: 6900 });
  });

  it("ends a deal", async () => {
    let ended = false;
    gateway({
      "GET /api/merchant/group-buy/deals": () => answer(200, { items: [{ ...DEAL, status: ended ? "ended" : "active" }] }),
      "DELETE /api/merchant/group-buy/deals/gbd_1": () => { ended = true; return answer(200, { ...DEAL, status: "ended" }); },
    });
    renderPage(<GroupBuy />);
    fireEvent.click(await screen.findByTestId("deal-end-gbd_1"));
    fireEvent.click(await screen.findByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.getByTestId("deal-status-gbd_1")).toHaveTextContent("Ended"));
  });
});
