import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import Reviews, { type Review } from "./Reviews";
import { answer, gateway, renderPage, sent } from "../test/render";

const REVIEW: Review = {
  id: "rev_1", product_id: "p_tea", sku_id: "sku_tea", order_id: "o_1", rating: 2, text: "包装破损", images: [],
  created_at: "2026-11-26T01:00:00Z", followup: null, reply: null, hidden: false, hidden_reason: null,
};

afterEach(() => vi.unstubAllGlobals());

describe("Reviews", { timeout: 60_000 }, () => {
  it("filters by rating, images and hidden on the server", async () => {
    const fetch = gateway({ "GET /api/merchant/reviews": () => answer(200, { items: [REVIEW] }) });
    renderPage(<Reviews />);
    await screen.findByText("包装破损");
    fireEvent.mouseDown(within(screen.getByTestId("reviews-rating")).getByRole("combobox"));
    fireEvent.click(await screen.findByTitle("★★"));
    fireEvent.click(screen.getByTestId("reviews-images"));
    fireEvent.mouseDown(within(screen.getByTestId("reviews-hidden")).getByRole("combobox"));
    fireEvent.click(await screen.findByTitle("Hidden"));
    await waitFor(() => {
      const last = String(fetch.mock.calls[fetch.mock.calls.length - 1][0]);
      expect(last).toContain("rating=2");
      expect(last).toContain("with_images=true");
      expect(last).toContain("hidden=true");
    });
  });

  it("replies, hides with a reason and shows again", async () => {
    const fetch = gateway({
      "GET /api/merchant/reviews": () => answer(200, { items: [REVIEW] }),
      "PUT /api/merchant/reviews/rev_1/reply": () => answer(200, { ...REVIEW, reply: { text: "抱歉，已补发", at: "2026-11-26T02:00:00Z" } }),
      "PUT /api/merchant/reviews/rev_1/hidden": () => answer(200, { ...REVIEW, hidden: true, hidden_reason: "广告" }),
      "DELETE /api/merchant/reviews/rev_1/hidden": () => answer(200, REVIEW),
    });
    renderPage(<Reviews />);
    fireEvent.click(await screen.findByTestId("review-reply-btn-rev_1"));
    fireEvent.change(await screen.findByTestId("review-input"), { target: { value: "抱歉，已补发" } });
    fireEvent.click(screen.getByTestId("review-submit"));
    expect(await screen.findByTestId("review-reply-rev_1")).toHaveTextContent("抱歉，已补发");
    expect(sent(fetch, "PUT /api/merchant/reviews/rev_1/reply")).toEqual([{ text: "抱歉，已补发" }]);

    fireEvent.click(screen.getByTestId("review-hide-rev_1"));
    fireEvent.change(await screen.findByTestId("review-input"), { target: { value: "广告" } });
    fireEvent.click(screen.getByTestId("review-submit"));
    await waitFor(() => expect(screen.getByTestId("review-hidden-rev_1")).toHaveTextContent("Hidden: 广告"));
    expect(sent(fetch, "PUT /api/merchant/reviews/rev_1/hidden")).toEqual([{ reason: "广告" }]);

    fireEvent.click(screen.getByTestId("review-show-rev_1"));
    await waitFor(() => expect(screen.getByTestId("review-hidden-rev_1")).toHaveTextContent("Shown"));
  });

  it("needs a reason to hide", async () => {
    const fetch = gateway({ "GET /api/merchant/reviews": () => answer(200, { items: [REVIEW] }) });
    renderPage(<Reviews />);
    fireEvent.click(await screen.findByTestId("review-hide-rev_1"));
    fireEvent.click(await screen.findByTestId("review-submit"));
    await waitFor(() => expect(document.querySelector(".ant-form-item-explain-error")).not.toBeNull());
    expect(sent(fetch, "PUT /api/merchant/reviews/rev_1/hidden")).toEqual([]);
  });
});
