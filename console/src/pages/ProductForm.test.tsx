import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { I18nProvider } from "../i18n";
import { ProductForm, type ProductBody } from "./ProductForm";
import { answer, gateway } from "../test/render";

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

describe("ProductForm's category", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("is picked by name from the mall's category tree and sent as its id", async () => {
    gateway({
      "GET /api/categories": () => answer(200, {
        items: [{ id: "cat_tea", name: "茶叶", children: [{ id: "cat_green", name: "绿茶", children: [] }] }],
      }),
    });
    const onSubmit = vi.fn(async () => {});
    renderForm(onSubmit);
    fireEvent.mouseDown(within(screen.getByTestId("product-category")).getByRole("combobox"));
    fireEvent.click(await screen.findByTitle("绿茶"));
    type("product-name", "龙井");
    type("sku-price-0", "8.8");
    fireEvent.click(screen.getByTestId("product-submit"));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ category_id: "cat_green" })));
  }, 60_000);
});

describe("ProductForm's image", () => {
  afterEach(() => vi.unstubAllGlobals());
  const IMAGE_URL = "http://mall/api/images/0123456789abcdef0123456789abcdef01234567.jpg";
  const file = () => new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], "tea.exe.jpg", { type: "image/jpeg" });

  it("uploads the file's bytes, shows the stored image and sends its URL with the product", async () => {
    const fetch = gateway({
      "POST /api/merchant/images": () => answer(201, { url: IMAGE_URL, name: "x.jpg", content_type: "image/jpeg", width: 800, height: 600 }),
    });
    const onSubmit = vi.fn(async () => {});
    const { container } = renderForm(onSubmit);
    fireEvent.change(container.querySelector("input[type=file]")!, { target: { files: [file()] } });
    await waitFor(() => expect(container.querySelector(`img[src="${IMAGE_URL}"]`)).not.toBeNull());
    // (the category picker asks for the tree too)
    const [url, init] = fetch.mock.calls.find(([called]) => called === "/api/merchant/images")!;
    expect(url).toBe("/api/merchant/images");
    expect(init).toMatchObject({ method: "POST", headers: { "Content-Type": "application/octet-stream" } });
    expect(init!.body).toBeInstanceOf(File);

    type("product-name", "茶");
    type("sku-price-0", "8.8");
    fireEvent.click(screen.getByTestId("product-submit"));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ image: IMAGE_URL })));
  });

  it("says what was wrong with a file that is not an image", async () => {
    gateway({ "POST /api/merchant/images": () => answer(415, { title: "Unsupported", code: "not_an_image", status: 415 }) });
    const { container } = renderForm(async () => {});
    fireEvent.change(container.querySelector("input[type=file]")!, { target: { files: [file()] } });
    expect(await screen.findByTestId("product-error")).toHaveTextContent("文件不是 JPEG、PNG、WebP 或 GIF 图片。");
    expect(container.querySelector("img")).toBeNull();
  });
});
