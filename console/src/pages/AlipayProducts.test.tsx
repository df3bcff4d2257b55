import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import AlipayProducts from "./AlipayProducts";

const json = (status: number, doc: object) =>
  new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => vi.unstubAllGlobals());

function renderPage() {
  render(
    <I18nProvider initial="en">
      <App>
        <AlipayProducts />
      </App>
    </I18nProvider>,
  );
}

describe("AlipayProducts", () => {
  it("switches products on and shows the 集分宝 budget once 集分宝 is on", async () => {
    const puts: { url: string; body: unknown }[] = [];
    let features = { merchant_id: "mch_001", store_checkout: false, sesame_deposit: false, alipay_vouchers: false,
      jifenbao: false };
    let budget: object | null = null;
    vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
      if (init.method === "PUT") {
        const body = JSON.parse(String(init.body));
        puts.push({ url, body });
        if (url === "/api/merchant/alipay-features") {
          features = { ...features, ...body };
          return json(200, features);
        }
        budget = { merchant_id: "mch_001", ...body, remaining_points: 4001 };
        return json(200, body);
      }
      if (url === "/api/merchant/alipay-features") return json(200, features);
      return budget ? json(200, budget)
        : json(404, { status: 404, code: "jifenbao_budget_not_found", detail: "The merchant has no 集分宝 budget" });
    }));
    renderPage();
    expect(screen.queryByTestId("jifenbao-card")).toBeNull();
    fireEvent.click(await screen.findByTestId("feature-store_checkout"));
    fireEvent.click(screen.getByTestId("feature-jifenbao"));
    fireEvent.click(screen.getByTestId("features-save"));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toEqual({ url: "/api/merchant/alipay-features", body: {
      store_checkout: true, sesame_deposit: false, alipay_vouchers: false, jifenbao: true } });

    expect(await screen.findByText(/No budget library yet/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("budget-code"), { target: { value: "mch001_jfb" } });
    fireEvent.click(screen.getByTestId("budget-save"));
    await waitFor(() => expect(puts).toHaveLength(2));
    expect(puts[1]).toEqual({ url: "/api/merchant/jifenbao", body: { budget_code: "mch001_jfb", points_per_yuan: 1 } });
    // What is left in the budget library, as Alipay counts it (100 集分宝 = ¥1).
    expect(await screen.findByTestId("jifenbao-remaining")).toHaveTextContent("4001 (¥40.01)");
  });
});
