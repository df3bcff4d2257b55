import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { I18nProvider } from "../i18n";
import { LoginPage } from "./Login";

function problem(status: number, doc: object) {
  return new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/problem+json" } });
}

function renderLogin(onSignedIn = vi.fn()) {
  render(
    <I18nProvider initial="en">
      <MemoryRouter>
        <LoginPage onSignedIn={onSignedIn} />
      </MemoryRouter>
    </I18nProvider>,
  );
  return onSignedIn;
}

async function signIn(username: string, password: string) {
  fireEvent.change(screen.getByTestId("username"), { target: { value: username } });
  fireEvent.change(screen.getByTestId("password"), { target: { value: password } });
  fireEvent.click(screen.getByTestId("login-submit"));
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe("LoginPage", () => {
  it("shows the gateway's refusal and stays signed out", async () => {
    const fetch = vi.fn(async () => problem(401, { title: "Wrong username or password", code: "invalid_credentials", status: 401 }));
    vi.stubGlobal("fetch", fetch);
    const onSignedIn = renderLogin();
    await signIn("staff1", "wrong");
    expect(await screen.findByTestId("login-error")).toHaveTextContent("Wrong username or password");
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(sessionStorage.getItem("mpmall.merchant.token")).toBeNull();
    expect(fetch).toHaveBeenCalledWith("/api/merchant/session", expect.objectContaining({
      method: "POST", body: JSON.stringify({ username: "staff1", password: "wrong" }),
    }));
  });

  it("shows field errors and lock-outs as the API words them, as text", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => problem(429, {
      title: "Too many attempts", detail: "<img src=x onerror=alert(1)> try again later", code: "login_locked", status: 429,
    })));
    renderLogin();
    await signIn("staff1", "x");
    const error = await screen.findByTestId("login-error");
    expect(error).toHaveTextContent("<img src=x onerror=alert(1)> try again later");
    expect(error.querySelector("img")).toBeNull();
  });

  it("asks for both fields before calling", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    renderLogin();
    fireEvent.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(document.querySelectorAll(".ant-form-item-explain-error")).toHaveLength(2));
    const shown = [...document.querySelectorAll(".ant-form-item-explain-error")].map((e) => e.textContent);
    expect(shown).toEqual(["Required", "Required"]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("keeps the token and goes on once signed in", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ token: "tok", merchant_id: "mch_001", expires_in: 60 }), { status: 200 })));
    const onSignedIn = renderLogin();
    await signIn("staff1", "mall-demo-1");
    await waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    expect(sessionStorage.getItem("mpmall.merchant.token")).toBe("tok");
  });
});
