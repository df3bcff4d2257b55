import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { I18nProvider } from "../i18n";
import { ProductForm, type ProductBody } from "./ProductForm";

function renderForm(onSubmit: (body: ProductBody) => Promise<void>) {
  return render(
    <I18nProvider initial="zh">
      <ProductForm stores={[{ store_id: "st_1", name: "西湖店" }]} onSubmit={onSubmit} />
    </I18nProvider>,
  );
}

const type = (testId: string, value: string) =>
  fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe("ProductForm", () => {
  it("sends yuan typed as fen, two SKUs with their specs and stock", async () => {
    const onSubmit = vi.fn(async () => {});
    renderForm(onSubmit);
    type("product-name", "龙井茶 <b>特级</b>");
    type("sku-specs-0", "规格:250g");
    type("sku-price-0", "0.1");
    type("sku-stock-0", "5");
    fireEvent.click(screen.getByTestId("add-sku"));
    await screen.findByTestId("sku-price-1");
    type("sku-specs-1", "规格：500g, 包装:礼盒");
    type("sku-price-1", "199.9");
    type("sku-deposit-1", "0.2");
    type("sku-stock-1", "12");
    fireEvent.click(screen.getByTestId("product-submit"));

    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith({
      name: "龙井茶 <b>特级</b>",
      category_id: null,
      brand: "",
      description: "",
      image: "",
      active: true,
      store_ids: [],
      skus: [
        { stock: 5, specs: { 规格: "250g" }, price_fen: 10, deposit_fen: 0, barcode: null, sellable: true },
        { stock: 12, specs: { 规格: "500g", 包装: "礼盒" }, price_fen: 19990, deposit_fen: 20, barcode: null, sellable: true },
      ],
    });
  });

  it.each([
    ["-1", "金额不能为负"],
    ["1.234", "请输入金额（元，最多两位小数）"],
    ["abc", "请输入金额（元，最多两位小数）"],
  ])("refuses the price %j and sends nothing", async (price, shown) => {
    const onSubmit = vi.fn(async () => {});
    renderForm(onSubmit);
    type("product-name", "茶");
    type("sku-price-0", price);
    fireEvent.click(screen.getByTestId("product-submit"));
    expect(await screen.findByText(shown)).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("shows the API's refusal", async () => {
    renderForm(async () => {
      throw new Error("Barcode already used — skus.0.barcode");
    });
    type("product-name", "茶");
    type("sku-price-0", "8.8");
    fireEvent.click(screen.getByTestId("product-submit"));
    expect(await screen.findByTestId("product-error")).toHaveTextContent("Barcode already used");
  });
});
