import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen } from "@testing-library/react";
import Apply from "./Apply";
import { answer, gateway, renderPage, sent } from "../test/render";

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

function fill(licence: string) {
  type("apply-name", "西湖茶庄");
  type("apply-licence", licence);
  type("apply-contact", "王芳");
  type("apply-phone", "13800001234");
  type("apply-owner", "xihu_owner");
  fireEvent.click(screen.getByTestId("apply-submit"));
}

afterEach(() => vi.unstubAllGlobals());

describe("Apply", () => {
  it("sends the application (licence upper-cased) and shows its number", async () => {
    const fetch = gateway({ "POST /api/merchant-applications": () => answer(201, { id: "app_1", status: "pending" }) });
    renderPage(<Apply />, { lang: "zh" });
    fill("91350100m000100y43");
    expect(await screen.findByTestId("apply-done")).toHaveTextContent("申请编号 app_1");
    expect(sent(fetch, "POST /api/merchant-applications")).toEqual([{
      merchant_name: "西湖茶庄", licence_no: "91350100M000100Y43", contact_name: "王芳", contact_phone: "13800001234",
      contact_email: "", owner_username: "xihu_owner",
    }]);
  });

  it("refuses a licence number whose check character is wrong before sending", async () => {
    const fetch = gateway({});
    renderPage(<Apply />);
    fill("91350100M000100Y44");
    expect(await screen.findByText(/check character does not match/)).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("shows the gateway's refusal as a sentence", async () => {
    gateway({ "POST /api/merchant-applications": () => answer(409, { title: "Conflict", code: "application_exists", status: 409 }) });
    renderPage(<Apply />);
    fill("91350100M000100Y43");
    expect(await screen.findByTestId("apply-error")).toHaveTextContent("This licence already has a pending or approved application.");
  });
});
