import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { fakeApi, json } from "../test/fakeApi";
import { FreightCard, HuabeiCard, ProfileCard, freightBody, freightValues } from "./Settings";

afterEach(() => vi.unstubAllGlobals());

const wrap = (node: React.ReactNode) => render(<I18nProvider initial="en"><App>{node}</App></I18nProvider>);
const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe("Settings", () => {
  it("saves Huabei offers with the minimum in fen and shows they are the merchant's own", async () => {
    const settings = (offers: object[], source: string) => json(200, { source, minimum_fen: 60_000, offers });
    const sent = fakeApi({
      "GET /api/merchant/huabei-offers": settings([{ installments: 3, fee_payer: "seller", min_amount_fen: 0 }], "default"),
      "PUT /api/merchant/huabei-offers": (s) => settings((s.body as { offers: object[] }).offers, "merchant"),
    });
    wrap(<HuabeiCard />);
    expect(await screen.findByTestId("huabei-source")).toHaveAttribute("data-source", "default");
    fireEvent.click(screen.getByTestId("huabei-add"));
    await screen.findByTestId("huabei-min-1");
    type("huabei-min-1", "1000.5");
    fireEvent.click(screen.getByTestId("huabei-save"));
    await waitFor(() => expect(screen.getByTestId("huabei-source")).toHaveTextContent("The shop's own"));
    const put = sent.find((s) => s.method === "PUT")!;
    expect(put.body).toEqual({ offers: [
      { installments: 3, fee_payer: "merchant", min_amount_fen: 0 },
      { installments: 6, fee_payer: "merchant", min_amount_fen: 100_050 },
    ] });
  });

  it("shows the service's refusal of a Huabei offer", async () => {
    fakeApi({
      "GET /api/merchant/huabei-offers": json(200, { source: "default", minimum_fen: 0, offers: [] }),
      "PUT /api/merchant/huabei-offers": json(409, { title: "Not offered by the mall", code: "installments_unavailable" }),
    });
    wrap(<HuabeiCard />);
    await screen.findByTestId("huabei-source");
    fireEvent.click(screen.getByTestId("huabei-add"));
    await screen.findByTestId("huabei-min-0");
    fireEvent.click(screen.getByTestId("huabei-save"));
    expect(await screen.findByTestId("huabei-error")).toHaveTextContent("Not offered by the mall");
  });

  it("turns the freight template into yuan to edit and back into fen to send", () => {
    const template = { basis: "piece" as const, free_above_fen: 9_900, default_item_weight_g: 500,
      rules: [{ provinces: ["33", "32"], first_units: 1, first_fen: 800, extra_units: 1, extra_fen: 250 }] };
    const values = freightValues(template);
    expect(values.free_above).toBe("99.00");
    expect(values.rules[0]).toEqual({ provinces: "33,32", first_units: 1, first: "8.00", extra_units: 1, extra: "2.50" });
    expect(freightBody({ ...values, rules: [{ ...values.rules[0], provinces: "33，32 65" }] }))
      .toEqual({ ...template, rules: [{ ...template.rules[0], provinces: ["33", "32", "65"] }] });
    expect(freightBody({ ...values, free_above: "" }).free_above_fen).toBeNull();
  });

  it("starts a new freight template when there is none and sends it", async () => {
    const sent = fakeApi({
      "GET /api/merchant/freight-template": json(404, { title: "No template", code: "freight_template_not_found" }),
      "PUT /api/merchant/freight-template": (s) => json(200, s.body),
    });
    wrap(<FreightCard />);
    await waitFor(() => expect(screen.getByTestId("freight-card")).toHaveAttribute("data-loaded", "true"));
    fireEvent.click(screen.getByTestId("freight-add"));
    await screen.findByTestId("freight-provinces-0");
    type("freight-provinces-0", "33");
    type("freight-first-0", "8");
    type("freight-extra-0", "2");
    type("freight-free-above", "99");
    fireEvent.click(screen.getByTestId("freight-save"));
    await waitFor(() => expect(sent.some((s) => s.method === "PUT")).toBe(true));
    expect(sent.find((s) => s.method === "PUT")!.body).toEqual({ basis: "piece", free_above_fen: 9_900,
      default_item_weight_g: 500, rules: [{ provinces: ["33"], first_units: 1, first_fen: 800, extra_units: 1, extra_fen: 200 }] });
  });

  it("saves the shop's name", async () => {
    const sent = fakeApi({ "PUT /api/merchant/profile": json(200, { name: "西湖茶庄" }) });
    wrap(<ProfileCard />);
    type("profile-name", " 西湖茶庄 ");
    fireEvent.click(screen.getByTestId("profile-save"));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0].body).toEqual({ name: "西湖茶庄" });
  });
});
