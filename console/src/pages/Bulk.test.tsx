import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { I18nProvider } from "../i18n";
import { fakeApi, json } from "../test/fakeApi";
import { ExportCard, ImportCard } from "./Bulk";

afterEach(() => vi.unstubAllGlobals());

const wrap = (node: React.ReactNode) => render(<I18nProvider initial="en"><App>{node}</App></I18nProvider>);

function choose(kind: string, file: File) {
  const input = screen.getByTestId(`import-${kind}`).querySelector("input[type=file]")!;
  fireEvent.change(input, { target: { files: [file] } });
}

describe("ImportCard", () => {
  it("sends the sheet's bytes with a key and lists a refusal's errors by row and column", async () => {
    const sent = fakeApi({
      "POST /api/merchant/import/products": json(422, {
        title: "A row was refused; nothing was imported", code: "import_invalid", status: 422,
        row_errors: [{ row: 3, column: "price_yuan", code: "invalid_price", detail: "Not an amount in yuan" }],
      }),
    });
    wrap(<ImportCard kind="products" />);
    choose("products", new File(["product,name\n"], "goods.csv", { type: "text/csv" }));
    const table = await screen.findByTestId("row-errors-products");
    expect(table).toHaveTextContent("3");
    expect(table).toHaveTextContent("price_yuan");
    expect(table).toHaveTextContent("Not an amount in yuan (invalid_price)");
    expect(screen.getByText("The sheet has errors; no row was imported")).toBeInTheDocument();
    expect(sent[0].headers["Content-Type"]).toBe("application/octet-stream");
    expect(sent[0].headers["Idempotency-Key"]).toMatch(/^[0-9a-f]{32}$/);
    expect(sent[0].body).toBeInstanceOf(File);
  });

  it("says how many stock changes were imported", async () => {
    fakeApi({ "POST /api/merchant/import/stock": json(201, { products: [], stock_changes: 4 }) });
    wrap(<ImportCard kind="stock" />);
    choose("stock", new File(["sku_id,stock_delta\n"], "stock.csv"));
    expect(await screen.findByTestId("imported-stock")).toHaveTextContent("Imported: 4");
  });
});

describe("ExportCard", () => {
  it("streams the CSV, counting the orders read, and saves it", async () => {
    const csv = "\ufefforder_id,status\no_1,PAID\no_2,SHIPPED\n";
    const sent = fakeApi({
      "GET /api/merchant/exports/orders": new Response(csv, {
        status: 200,
        headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="orders-x.csv"', "X-Total-Count": "2" },
      }),
    });
    const created = vi.fn(() => "blob:orders");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: () => {} }));
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    wrap(<ExportCard />);
    fireEvent.click(screen.getByTestId("export-run"));
    await waitFor(() => expect(screen.getByTestId("export-rows")).toHaveTextContent("Orders exported: 2 / 2"));
    expect(clicked).toHaveBeenCalled();
    expect(created).toHaveBeenCalled();
    expect(sent[0].path).toBe("/api/merchant/exports/orders");
    clicked.mockRestore();
  });
});
