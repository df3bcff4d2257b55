/* Choosing a SKU in a SkuPicker the way a merchant does: search the product, pick it, pick the SKU. */
import { expect } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";

export const TEA_PRODUCT = {
  id: "p_tea", name: "乌龙茶", category_id: null, brand: "", description: "", image: "", active: true, store_ids: [],
  skus: [
    { id: "sku_tea", specs: { 规格: "250g" }, price_fen: 8800, deposit_fen: 0, barcode: null, sellable: true, available: 5, reserved: 0 },
    { id: "sku_tea_big", specs: { 规格: "500g" }, price_fen: 16000, deposit_fen: 0, barcode: null, sellable: true, available: 5, reserved: 0 },
  ],
};

/** The gateway's answers a picker needs: the product search and the product with its SKUs. */
export const SKU_ROUTES = {
  "GET /api/merchant/products": () => new Response(JSON.stringify({ items: [{ id: "p_tea", name: "乌龙茶" }], total: 1 }),
    { status: 200, headers: { "Content-Type": "application/json" } }),
  "GET /api/merchant/products/p_tea": () => new Response(JSON.stringify(TEA_PRODUCT),
    { status: 200, headers: { "Content-Type": "application/json" } }),
};

export async function pickSku(testId: string, search: string, productName: string, skuLabel: string) {
  const productBox = within(await screen.findByTestId(`${testId}-product`)).getByRole("combobox");
  fireEvent.mouseDown(productBox);
  fireEvent.change(productBox, { target: { value: search } });
  fireEvent.click(await screen.findByTitle(productName));
  const skuBox = within(screen.getByTestId(`${testId}-sku`)).getByRole("combobox");
  await waitFor(() => expect(skuBox).not.toBeDisabled()); // once the product's SKUs are loaded
  fireEvent.mouseDown(skuBox);
  fireEvent.click(await screen.findByTitle(skuLabel));
}
