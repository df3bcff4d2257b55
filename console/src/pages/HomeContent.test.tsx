import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import HomeContent, { type HomeItem } from "./HomeContent";
import MallHome from "./platform/MallHome";
import { answer, gateway, renderPage, sent } from "../test/render";

const BANNER: HomeItem = {
  id: "hi_1", kind: "banner", title: "新茶上市", image: "", target_kind: "product", target: "p_tea", product_ids: [],
  position: 0, starts_at: "2026-11-26T00:00:00+08:00", ends_at: null,
};
const OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;

afterEach(() => vi.unstubAllGlobals());

describe("HomeContent", { timeout: 60_000 }, () => {
  it("creates a merchant's banner opening a product, from now on", async () => {
    const fetch = gateway({
      "GET /api/merchant/home-items": () => answer(200, { items: [] }),
      "POST /api/merchant/home-items": () => answer(201, BANNER),
    });
    renderPage(<HomeContent />);
    fireEvent.click(await screen.findByTestId("home-new"));
    fireEvent.change(await screen.findByTestId("home-title"), { target: { value: "新茶上市" } });
    fireEvent.change(screen.getByTestId("home-target"), { target: { value: "p_tea" } });
    fireEvent.click(screen.getByTestId("home-submit"));
    await waitFor(() => expect(sent(fetch, "POST /api/merchant/home-items")).toHaveLength(1));
    const [body] = sent(fetch, "POST /api/merchant/home-items");
    expect(body).toMatchObject({ kind: "banner", title: "新茶上市", target_kind: "product", target: "p_tea", product_ids: [], ends_at: null });
    expect(body.starts_at).toMatch(OFFSET);
  });

  it("edits a banner into a collection of products and deletes it", async () => {
    const fetch = gateway({
      "GET /api/merchant/home-items": () => answer(200, { items: [BANNER] }),
      "PUT /api/merchant/home-items/hi_1": () => answer(200, BANNER),
      "DELETE /api/merchant/home-items/hi_1": () => answer(204, null),
    });
    renderPage(<HomeContent />);
    fireEvent.click(await screen.findByTestId("home-edit-hi_1"));
    expect(await screen.findByTestId("home-title")).toHaveValue("新茶上市");
    fireEvent.click(screen.getByLabelText("Collection"));
    fireEvent.change(await screen.findByTestId("home-products"), { target: { value: "p_tea\np_cup" } });
    fireEvent.click(screen.getByTestId("home-submit"));
    await waitFor(() => expect(sent(fetch, "PUT /api/merchant/home-items/hi_1")).toHaveLength(1));
    expect(sent(fetch, "PUT /api/merchant/home-items/hi_1")[0]).toMatchObject({
      kind: "collection", product_ids: ["p_tea", "p_cup"], target_kind: null, target: null,
    });
    fireEvent.click(screen.getByTestId("home-delete-hi_1"));
    fireEvent.click(await screen.findByRole("button", { name: "OK" }));
    await waitFor(() => expect(fetch.mock.calls.some(([, init]) => init?.method === "DELETE")).toBe(true));
  });

  it("keeps the mall's items and hot words for the operator", async () => {
    const fetch = gateway({
      "GET /api/platform/home-items": () => answer(200, { items: [{ ...BANNER, target_kind: "category", target: "cat_tea" }] }),
      "GET /api/platform/hot-words": () => answer(200, { words: ["龙井", "茶具"] }),
      "PUT /api/platform/hot-words": () => answer(200, { words: ["龙井", "白茶"] }),
    });
    renderPage(<MallHome />);
    expect(await screen.findByText("Category: cat_tea")).toBeInTheDocument();
    const words = screen.getByTestId("hot-words-input");
    await waitFor(() => expect(words).toHaveValue("龙井\n茶具"));
    fireEvent.change(words, { target: { value: "龙井\n\n 白茶 " } });
    fireEvent.click(within(screen.getByTestId("hot-words")).getByTestId("hot-words-save"));
    await waitFor(() => expect(sent(fetch, "PUT /api/platform/hot-words")).toEqual([{ words: ["龙井", "白茶"] }]));
  });
});
