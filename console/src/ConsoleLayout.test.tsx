import { afterEach, describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import { ConsoleLayout } from "./ConsoleLayout";
import { session, type Role } from "./api";
import { homeOf } from "./access";
import { renderPage } from "./test/render";

const menu = () => [...document.querySelectorAll("[data-testid^=nav-]")].map((e) => e.getAttribute("data-testid"));

afterEach(() => sessionStorage.clear());

describe("the menu by role", () => {
  it.each<[Role, string[]]>([
    ["owner", ["nav-dashboard", "nav-products", "nav-orders", "nav-campaigns", "nav-group-buy", "nav-member-prices",
      "nav-reviews", "nav-home-content", "nav-store-codes", "nav-stores", "nav-bulk", "nav-settings", "nav-webhook",
      "nav-checkout", "nav-alipay", "nav-staff"]],
    ["manager", ["nav-dashboard", "nav-products", "nav-orders", "nav-campaigns", "nav-group-buy", "nav-member-prices",
      "nav-reviews", "nav-home-content", "nav-store-codes", "nav-stores", "nav-bulk", "nav-webhook", "nav-checkout"]],
    ["clerk", ["nav-orders", "nav-checkout"]],
  ])("a %s sees %j", (role, items) => {
    session.save("tok", "mch_1", role);
    renderPage(<ConsoleLayout>page</ConsoleLayout>);
    expect(menu()).toEqual(items);
  });

  it("an operator sees the platform's pages only", () => {
    session.save("tok", "ops1", "owner", "operator");
    renderPage(<ConsoleLayout>page</ConsoleLayout>);
    expect(menu()).toEqual(["nav-platform-applications", "nav-platform-merchants", "nav-platform-categories",
      "nav-platform-home"]);
    expect(screen.getByTestId("merchant-id")).toHaveTextContent("ops1");
  });

  it("each starts where it may work", () => {
    expect([homeOf("staff", "owner"), homeOf("staff", "clerk"), homeOf("operator", "owner")])
      .toEqual(["/dashboard", "/orders", "/platform/applications"]);
  });
});
