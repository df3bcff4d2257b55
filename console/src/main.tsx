import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App as AntApp, ConfigProvider } from "antd";
import { HashRouter } from "react-router-dom";
import { ANTD_LOCALES, I18nProvider, useI18n } from "./i18n";
import { ConsoleRoutes } from "./App";
import "./console.css";

/* The per-answer nonce the gateway writes into index.html and names in its Content-Security-Policy: antd's
 * CSS-in-JS style elements carry it (no 'unsafe-inline' needed). Absent under `vite dev`. */
function styleNonce(): string | undefined {
  const value = document.querySelector('meta[name="csp-nonce"]')?.getAttribute("content") ?? "";
  return value && !value.startsWith("__") ? value : undefined;
}

/* Not every <style> our libraries write can be given the nonce by an option (rc-util measures scrollbars
 * with one of its own for every table): style elements our scripts put in <head> get it here. Markup
 * injected into the page still cannot carry it, which is what the nonce is for. */
function nonceScriptStyles(nonce: string | undefined) {
  if (!nonce) return;
  const head = document.head;
  const give = (node: Node) => {
    if (node instanceof HTMLStyleElement && !node.nonce) node.nonce = nonce;
  };
  const append = head.appendChild.bind(head);
  const insertBefore = head.insertBefore.bind(head);
  head.appendChild = <T extends Node>(node: T): T => (give(node), append(node));
  head.insertBefore = <T extends Node>(node: T, child: Node | null): T => (give(node), insertBefore(node, child));
}

const NONCE = styleNonce();
nonceScriptStyles(NONCE);

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={ANTD_LOCALES[lang]} csp={{ nonce: NONCE }}>
      <AntApp>
        <HashRouter>
          <ConsoleRoutes />
        </HashRouter>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
