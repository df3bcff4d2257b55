import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import Staff from "./Staff";
import { answer, gateway, renderPage, sent } from "../test/render";

const OWNER = { username: "xihu_owner", display_name: "王芳", role: "owner", active: true, created_at: "2026-11-26T01:00:00Z" };
const CLERK = { username: "clerk1", display_name: "小李", role: "clerk", active: true, created_at: "2026-11-26T02:00:00Z" };
const LINK = { set_password_url: "http://mall/console/#/set-password?token=tok", set_password_token: "tok", expires_at: "2026-11-29T01:00:00Z" };

afterEach(() => vi.unstubAllGlobals());

describe("Staff", { timeout: 60_000 }, () => { // modals and popups animate: slow on a busy machine
  it("invites a clerk and shows the one-time link to hand on", async () => {
    const fetch = gateway({
      "GET /api/merchant/staff": () => answer(200, { items: [OWNER] }),
      "POST /api/merchant/staff": () => answer(201, { staff: CLERK, ...LINK }),
    });
    renderPage(<Staff />);
    await screen.findByText("xihu_owner");
    fireEvent.click(screen.getByTestId("staff-invite"));
    fireEvent.change(await screen.findByTestId("invite-username"), { target: { value: "clerk1" } });
    fireEvent.change(screen.getByTestId("invite-name"), { target: { value: "小李" } });
    fireEvent.click(screen.getByTestId("invite-submit"));
    expect(await screen.findByTestId("password-link")).toHaveTextContent(LINK.set_password_url);
    expect(sent(fetch, "POST /api/merchant/staff")).toEqual([{ username: "clerk1", display_name: "小李", role: "clerk" }]);
    expect(await screen.findByText("clerk1")).toBeInTheDocument();
  });

  it("deactivates at once and issues a new link", async () => {
    const fetch = gateway({
      "GET /api/merchant/staff": () => answer(200, { items: [OWNER, CLERK] }),
      "PATCH /api/merchant/staff/clerk1": () => answer(200, { ...CLERK, active: false }),
      "POST /api/merchant/staff/clerk1/password-link": () => answer(201, LINK),
    });
    renderPage(<Staff />);
    fireEvent.click(await screen.findByTestId("staff-deactivate-clerk1"));
    fireEvent.click(await screen.findByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.getByTestId("staff-active-clerk1")).toHaveTextContent("Deactivated"));
    expect(sent(fetch, "PATCH /api/merchant/staff/clerk1")).toEqual([{ active: false }]);
    fireEvent.click(screen.getByTestId("staff-link-clerk1"));
    expect(await screen.findByTestId("password-link")).toHaveTextContent("token=tok");
  });

  it("changes a role, and says why the last owner cannot be demoted", async () => {
    const fetch = gateway({
      "GET /api/merchant/staff": () => answer(200, { items: [OWNER] }),
      "PATCH /api/merchant/staff/xihu_owner": () => answer(409, { title: "Conflict", code: "last_owner", status: 409 }),
    });
    renderPage(<Staff />);
    const select = await screen.findByTestId("staff-role-xihu_owner");
    fireEvent.mouseDown(within(select).getByRole("combobox"));
    fireEvent.click(await screen.findByTitle("Manager"));
    expect(await screen.findByText("The shop's last active owner cannot be demoted or deactivated.")).toBeInTheDocument();
    expect(sent(fetch, "PATCH /api/merchant/staff/xihu_owner")).toEqual([{ role: "manager" }]);
  });

  it("shows a clerk's refusal as a sentence naming the role", async () => {
    gateway({
      "GET /api/merchant/staff": () => answer(403, {
        title: "Forbidden", detail: "A clerk may not do this (merchant_staff)", code: "role_forbidden", status: 403,
        role: "clerk", required: ["owner"],
      }),
    });
    renderPage(<Staff />, { lang: "zh" });
    expect(await screen.findByTestId("staff-error")).toHaveTextContent("你的角色（店员）无权进行此操作，请联系店主。");
  });
});
