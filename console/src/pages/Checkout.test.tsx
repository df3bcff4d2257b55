import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import Checkout from "./Checkout";

const json = (status: number, doc: object) =>
  new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });

function renderCheckout() {
  render(
    <I18nProvider initial="en">
      <App>
        <Checkout />
      </App>
    </I18nProvider>,
  );
}

async function ringUp(code: string) {
  await screen.findByText("湖滨店 (sto_lake)"); // the one store, chosen already
  fireEvent.change(screen.getByTestId("pos-sku-0"), { target: { value: "sku_mate60" } });
  fireEvent.change(screen.getByTestId("pos-auth-code"), { target: { value: code } });
  fireEvent.click(screen.getByTestId("pos-charge"));
}

afterEach(() => vi.unstubAllGlobals());

describe("Checkout", () => {
  it("charges a sale once per key, then the same order again with another code after a decline", async () => {
    const sent: { url: string; key: string | null; body: unknown }[] = [];
    let declined = false;
    vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
      if (url === "/api/merchant/stores") return json(200, { items: [{ id: "sto_lake", name: "湖滨店", active: true }] });
      const headers = init.headers as Record<string, string>;
      sent.push({ url, key: headers["Idempotency-Key"] ?? null, body: JSON.parse(String(init.body)) });
      if (sent.length === 1) throw new TypeError("network down"); // the answer was lost
      if (!declined) {
        declined = true;
        return json(201, { order_id: "o1", payable_fen: 599900,
          charge: { order_id: "o1", status: "failed", amount_fen: 599900, reason: "ACQ.BUYER_BALANCE_NOT_ENOUGH" } });
      }
      return json(200, { order_id: "o1", status: "succeeded", amount_fen: 599900, reason: null });
    }));
    renderCheckout();
    await ringUp("281234567890123456");
    await waitFor(() => expect(sent).toHaveLength(1));
    fireEvent.click(screen.getByTestId("pos-charge")); // pressed again after the network error
    expect(await screen.findByTestId("pos-result")).toHaveTextContent("ACQ.BUYER_BALANCE_NOT_ENOUGH");
    expect(sent[1]).toEqual({ url: "/api/merchant/store-checkouts", key: sent[0].key, body: {
      store_id: "sto_lake", items: [{ sku_id: "sku_mate60", qty: 1 }], scene: "bar_code",
      auth_code: "281234567890123456" } });

    fireEvent.change(screen.getByTestId("pos-auth-code"), { target: { value: "289999999999999999" } });
    fireEvent.click(screen.getByTestId("pos-charge"));
    await waitFor(() => expect(screen.getByTestId("pos-result")).toHaveTextContent("Paid ¥5999.00"));
    expect(sent[2].url).toBe("/api/merchant/orders/o1/store-charge");
    expect(sent[2].key).not.toBe(sent[0].key);
    expect(sent[2].body).toEqual({ store_id: "sto_lake", scene: "bar_code", auth_code: "289999999999999999" });
  });

  it("rings up an amount typed in yuan, sent as fen without SKUs", async () => {
    const sent: unknown[] = [];
    vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
      if (url === "/api/merchant/stores") return json(200, { items: [{ id: "sto_lake", name: "湖滨店", active: true }] });
      sent.push(JSON.parse(String(init.body)));
      return json(201, { order_id: "o2", payable_fen: 12345,
        charge: { order_id: "o2", status: "succeeded", amount_fen: 12345, reason: null } });
    }));
    renderCheckout();
    await screen.findByText("湖滨店 (sto_lake)");
    fireEvent.click(screen.getByLabelText("Amount"));
    fireEvent.change(await screen.findByTestId("pos-amount"), { target: { value: "123.45" } });
    fireEvent.change(screen.getByTestId("pos-auth-code"), { target: { value: "281234567890123456" } });
    fireEvent.click(screen.getByTestId("pos-charge"));
    await waitFor(() => expect(screen.getByTestId("pos-result")).toHaveTextContent("Paid ¥123.45"));
    expect(sent).toEqual([{ store_id: "sto_lake", amount_fen: 12345, scene: "bar_code",
      auth_code: "281234567890123456" }]);
  });
});
