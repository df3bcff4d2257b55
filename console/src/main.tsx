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

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={ANTD_LOCALES[lang]} csp={{ nonce: styleNonce() }} theme={{ token: { colorPrimary: "#1677ff" } }}>
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
