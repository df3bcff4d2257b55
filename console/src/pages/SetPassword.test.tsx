import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import SetPassword from "./SetPassword";
import { answer, gateway, renderPage, sent } from "../test/render";

const TOKEN = "a".repeat(43);
const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

afterEach(() => vi.unstubAllGlobals());

describe("SetPassword", () => {
  it("sets the password with the link's token and points to sign-in", async () => {
    const fetch = gateway({ "POST /api/set-password": () => answer(200, { kind: "staff", username: "xihu_owner" }) });
    renderPage(<SetPassword />, { route: `/set-password?token=${TOKEN}` });
    type("new-password", "owner-password-1");
    type("confirm-password", "owner-password-1");
    fireEvent.click(screen.getByTestId("set-password-submit"));
    expect(await screen.findByTestId("set-password-done")).toHaveTextContent("sign in as xihu_owner");
    expect(sent(fetch, "POST /api/set-password")).toEqual([{ token: TOKEN, password: "owner-password-1" }]);
  });

  it("asks for the same password twice and ten characters at least", async () => {
    const fetch = gateway({});
    renderPage(<SetPassword />, { route: `/set-password?token=${TOKEN}` });
    type("new-password", "short");
    type("confirm-password", "other");
    fireEvent.click(screen.getByTestId("set-password-submit"));
    expect(await screen.findByText("At least 10 characters")).toBeInTheDocument();
    expect(await screen.findByText("The passwords differ")).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("says a spent link is spent", async () => {
    gateway({ "POST /api/set-password": () => answer(410, { title: "Gone", code: "link_invalid", status: 410 }) });
    renderPage(<SetPassword />, { lang: "zh", route: `/set-password?token=${TOKEN}` });
    type("new-password", "owner-password-1");
    type("confirm-password", "owner-password-1");
    fireEvent.click(screen.getByTestId("set-password-submit"));
    await waitFor(() => expect(screen.getByTestId("set-password-error")).toHaveTextContent("这个链接无效、已使用或已过期"));
  });

  it("without a token says the link is incomplete", () => {
    renderPage(<SetPassword />, { route: "/set-password" });
    expect(screen.getByTestId("set-password-error")).toHaveTextContent("The link is incomplete");
  });
});
