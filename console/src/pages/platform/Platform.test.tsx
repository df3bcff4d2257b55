import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import Applications from "./Applications";
import Merchants from "./Merchants";
import Categories from "./Categories";
import { answer, gateway, renderPage, sent } from "../../test/render";

const APPLICATION = {
  id: "app_1", merchant_name: "西湖茶庄", licence_no: "91350100M000100Y43", contact_name: "王芳",
  contact_phone: "13800001234", contact_email: "", owner_username: "xihu_owner", status: "pending", reason: "",
  merchant_id: null, created_at: "2026-11-26T01:00:00Z",
};
const MERCHANT = {
  merchant_id: "mch_1", merchant_name: "西湖茶庄", licence_no: "91350100M000100Y43", contact_name: "王芳",
  contact_phone: "13800001234", approved_at: "2026-11-26T01:00:00Z", active_staff: 1, suspended: false, suspension: null,
};

afterEach(() => vi.unstubAllGlobals());

describe("Applications", { timeout: 60_000 }, () => { // modals and popups animate: slow on a busy machine
  it("approves and shows the first owner's one-time link", async () => {
    const fetch = gateway({
      "GET /api/platform/applications": () => answer(200, { items: [APPLICATION] }),
      "POST /api/platform/applications/app_1/approve": () => answer(200, {
        application: { ...APPLICATION, status: "approved" },
        set_password_url: "http://mall/console/#/set-password?token=tok1", set_password_token: "tok1",
        expires_at: "2026-11-29T01:00:00Z",
      }),
    });
    renderPage(<Applications />);
    fireEvent.click(await screen.findByTestId("approve-app_1"));
    expect(await screen.findByTestId("password-link")).toHaveTextContent("token=tok1");
    expect(screen.getByText(/Give this link to xihu_owner/)).toBeInTheDocument();
    expect(fetch.mock.calls[0][0]).toBe("/api/platform/applications?status=pending&limit=200");
  });

  it("rejects with a reason", async () => {
    const fetch = gateway({
      "GET /api/platform/applications": () => answer(200, { items: [APPLICATION] }),
      "POST /api/platform/applications/app_1/reject": () => answer(200, { ...APPLICATION, status: "rejected" }),
    });
    renderPage(<Applications />);
    fireEvent.click(await screen.findByTestId("reject-app_1"));
    fireEvent.change(await screen.findByTestId("reason-input"), { target: { value: "执照模糊" } });
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(sent(fetch, "POST /api/platform/applications/app_1/reject")).toEqual([{ reason: "执照模糊" }]));
  });
});

describe("Merchants", { timeout: 60_000 }, () => { // modals and popups animate: slow on a busy machine
  it("suspends with a reason and reinstates", async () => {
    let suspended = false;
    const fetch = gateway({
      "GET /api/platform/merchants": () => answer(200, { items: [suspended
        ? { ...MERCHANT, suspended, suspension: { reason: "售假投诉", by: "ops1", at: "2026-11-26T02:00:00Z" } }
        : MERCHANT] }),
      "POST /api/platform/merchants/mch_1/suspend": () => { suspended = true; return answer(200, { merchant_id: "mch_1", suspended }); },
      "POST /api/platform/merchants/mch_1/reinstate": () => { suspended = false; return answer(200, { merchant_id: "mch_1", suspended }); },
    });
    renderPage(<Merchants />);
    fireEvent.click(await screen.findByTestId("suspend-mch_1"));
    fireEvent.change(await screen.findByTestId("reason-input"), { target: { value: "售假投诉" } });
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.getByTestId("merchant-status-mch_1")).toHaveTextContent("Suspended · 售假投诉 · ops1"));
    expect(sent(fetch, "POST /api/platform/merchants/mch_1/suspend")).toEqual([{ reason: "售假投诉" }]);
    fireEvent.click(screen.getByTestId("reinstate-mch_1"));
    await waitFor(() => expect(screen.getByTestId("merchant-status-mch_1")).toHaveTextContent("Operating"));
  });
});

describe("Categories", { timeout: 60_000 }, () => { // modals and popups animate: slow on a busy machine
  const tree = () => answer(200, { items: [{ id: "cat_1", name: "茶叶", children: [] }] });

  it("adds a subcategory under the one chosen", async () => {
    const fetch = gateway({
      "GET /api/platform/categories": tree,
      "POST /api/platform/categories": () => answer(201, { id: "cat_2", parent_id: "cat_1", name: "绿茶", position: 0 }),
    });
    renderPage(<Categories />);
    fireEvent.click(await screen.findByTestId("category-add-茶叶"));
    fireEvent.change(await screen.findByTestId("category-name"), { target: { value: "绿茶" } });
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(sent(fetch, "POST /api/platform/categories")).toEqual([{ name: "绿茶", parent_id: "cat_1" }]));
  });

  it("says why a category with children stays", async () => {
    gateway({
      "GET /api/platform/categories": tree,
      "DELETE /api/platform/categories/cat_1": () => answer(409, { title: "Conflict", code: "category_not_empty", status: 409 }),
    });
    renderPage(<Categories />);
    fireEvent.click(await screen.findByTestId("category-delete-茶叶"));
    fireEvent.click(await screen.findByRole("button", { name: "OK" }));
    expect(await screen.findByText("Only a category without subcategories and products can be deleted.")).toBeInTheDocument();
  });
});
