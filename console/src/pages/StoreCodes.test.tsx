import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import StoreCodes from "./StoreCodes";
import { answer, gateway, renderPage } from "../test/render";

const TEMPLATE = {
  id: "tpl1", campaign_id: "c1", name: "到店满减券", channel: "store_code", kind: "fixed", amount_fen: 500,
  threshold_fen: 3000, percent_off_bp: null, cap_fen: null, total_qty: 100, remaining: 100, store_id: "xihu",
};
const CAMPAIGN = { id: "c1", name: "开业", kind: "coupon", status: "active", templates: [TEMPLATE] };
const CODE = { code: "MPSC.abc.def", template_id: "tpl1", store_id: "xihu", expires_at: "2026-12-26T01:00:00Z" };
// A 1×1 white PNG: jsdom has no canvas, so the text canvases answer with it (jsPDF reads it as a real image).
const PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

afterEach(() => vi.unstubAllGlobals());
afterEach(() => vi.restoreAllMocks());

describe("StoreCodes", { timeout: 60_000 }, () => {
  it("downloads the claim sheet as a PDF naming the coupon and the store", async () => {
    gateway({
      "GET /api/merchant/campaigns": () => answer(200, { items: [CAMPAIGN] }),
      "GET /api/merchant/pickup-stores": () => answer(200, { items: [{ store_id: "xihu", name: "西湖店", address: "", open_hours: null }] }),
      "POST /api/merchant/store-codes": () => answer(201, CODE),
    });
    const drawn: string[] = [];
    const context = {
      font: "", fillStyle: "", textAlign: "", textBaseline: "",
      measureText: (s: string) => ({ width: s.length * 40 }),
      fillRect: () => {}, fillText: (s: string) => drawn.push(s),
    };
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(context as unknown as CanvasRenderingContext2D);
    vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue(PNG);
    const saved: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => { saved.push(b); return "blob:sheet"; }, revokeObjectURL: () => {} }));

    const names: string[] = []; // the link saveBlob clicks (jsdom cannot navigate to a blob)
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) { names.push(this.download); });

    renderPage(<StoreCodes />);
    fireEvent.mouseDown(await screen.findByRole("combobox"));
    fireEvent.click(await screen.findByText("开业 · 到店满减券 · xihu"));
    fireEvent.click(screen.getByTestId("code-make"));
    fireEvent.click(await screen.findByTestId("code-pdf"));

    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0].type).toBe("application/pdf");
    const text = await new Promise<string>((resolve) => { // jsdom's Blob has no arrayBuffer()
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsText(saved[0]);
    });
    expect(text.startsWith("%PDF-")).toBe(true);
    expect(names).toEqual(["store-code-xihu.pdf"]);
    expect(drawn.join("\n")).toContain("到店满减券");
    expect(drawn).toContain("Store: 西湖店");
    expect(drawn).toContain(CODE.code);
  });
});
