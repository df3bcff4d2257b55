/* Merchant console: staff login, a date range, KPI tiles and charts of /api/merchant/metrics.
 * Talks to exactly two gateway calls: POST /api/merchant/session and GET /api/merchant/metrics.
 * The staff token lives in sessionStorage (gone when the tab closes). Chart is the vendored Chart.js. */
(() => {
  "use strict";

  const TOKEN = "mpmall.merchant.token";
  const MERCHANT = "mpmall.merchant.id";
  const COLORS = ["#1677ff", "#52c41a", "#faad14", "#eb2f96", "#13c2c2", "#722ed1", "#fa541c", "#8c8c8c"];
  const ENTRY_NAMES = {
    search: "Search", scan: "Scan", favorites: "Favourites", member_card: "Member card",
    payment_success: "Payment-success page", nearby: "Nearby", home: "Home", other: "Other",
  };
  const charts = {};
  const $ = (id) => document.getElementById(id);

  // --- formatting (the browser test formats the API's numbers the same way) ---------------------------
  const yuan = (fen) => (fen === null || fen === undefined) ? "–"
    : (fen < 0 ? "-" : "") + "¥" + (Math.abs(fen) / 100).toFixed(2);
  const percent = (rate) => (rate === null || rate === undefined) ? "–" : (rate * 100).toFixed(1) + "%";
  const hours = (seconds) => (seconds === null || seconds === undefined) ? "–" : (seconds / 3600).toFixed(1) + " h";
  // Metrics count by the shop's calendar (analytics' business time zone), not the browser's: a merchant
  // travelling, or a browser on UTC, must still see the shop's "today".
  const SHOP_TIME_ZONE = "Asia/Shanghai";
  const shopDay = (d) => new Intl.DateTimeFormat("en-CA", {
    timeZone: SHOP_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit"}).format(d);
  const daysBefore = (iso, days) => {
    const d = new Date(`${iso}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - days);
    return d.toISOString().slice(0, 10);
  };

  // --- gateway calls ------------------------------------------------------------------------------------
  async function problemText(resp) {
    try {
      const doc = await resp.json();
      const fields = (doc.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
      return [doc.detail || doc.title || `HTTP ${resp.status}`, fields].filter(Boolean).join(" — ");
    } catch {
      return `HTTP ${resp.status}`;
    }
  }

  async function login(username, password) {
    const resp = await fetch("/api/merchant/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (!resp.ok) throw new Error(await problemText(resp));
    const body = await resp.json();
    sessionStorage.setItem(TOKEN, body.token);
    sessionStorage.setItem(MERCHANT, body.merchant_id || "");
  }

  async function fetchMetrics(from, to) {
    const query = new URLSearchParams({ from, to });
    const resp = await fetch(`/api/merchant/metrics?${query}`, {
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` },
    });
    if (resp.status === 401) {
      signOut("Your session has ended; please sign in again.");
      return null;
    }
    if (!resp.ok) throw new Error(await problemText(resp));
    return resp.json();
  }

  // --- views --------------------------------------------------------------------------------------------
  function showLogin(message) {
    $("dashboard").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
  }

  function showDashboard() {
    $("login-view").hidden = true;
    $("dashboard").hidden = false;
    $("merchant-name").textContent = sessionStorage.getItem(MERCHANT) || "";
    if (!$("range-from").value || !$("range-to").value) {
      const today = shopDay(new Date());
      $("range-from").value = daysBefore(today, 6); // the last 7 days, today included
      $("range-to").value = today;
    }
    refresh();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(MERCHANT);
    showLogin(message);
  }

  async function refresh() {
    const dashboard = $("dashboard");
    dashboard.dataset.ready = "false";
    $("status").textContent = "";
    const from = $("range-from").value;
    const to = $("range-to").value;
    if (from > to) {
      $("status").textContent = "“From” must be on or before “To”.";
      return;
    }
    try {
      const report = await fetchMetrics(from, to);
      if (!report) return;
      render(report);
      dashboard.dataset.ready = "true";
    } catch (err) {
      $("status").textContent = err.message;
    }
  }

  function setKpi(id, raw, text) {
    const el = $(id);
    el.textContent = text;
    el.dataset.value = raw === null || raw === undefined ? "" : String(raw);
  }

  function render(report) {
    const k = report.kpis;
    setKpi("kpi-gmv", k.gmv_fen, yuan(k.gmv_fen));
    setKpi("kpi-orders", k.orders, String(k.orders));
    setKpi("kpi-aov", k.aov_fen, yuan(k.aov_fen));
    setKpi("kpi-redemption", k.coupon_redemption_rate, percent(k.coupon_redemption_rate));
    setKpi("kpi-cost-ratio", k.marketing_cost_ratio, percent(k.marketing_cost_ratio));
    const f = report.fulfilment;
    setKpi("kpi-to-shipped", f.to_shipped.median_s, hours(f.to_shipped.median_s));
    setKpi("kpi-to-delivered", f.to_delivered.median_s, hours(f.to_delivered.median_s));
    setKpi("kpi-to-picked-up", f.to_picked_up.median_s, hours(f.to_picked_up.median_s));
    setKpi("kpi-pickup-share", f.pickup.share, percent(f.pickup.share));
    $("pickup-stores").textContent = f.pickup.by_store.length === 0 ? "No pickups in this range."
      : "By store: " + f.pickup.by_store.map((s) => `${s.store_id} ${s.orders} (${percent(s.share)})`).join(", ");

    draw("chart-gmv", {
      type: "bar",
      data: {
        labels: report.daily.map((d) => d.day.slice(5)),
        datasets: [
          { label: "GMV (¥)", data: report.daily.map((d) => d.gmv_fen / 100), backgroundColor: COLORS[0],
            yAxisID: "y" },
          { label: "Paid orders", type: "line", data: report.daily.map((d) => d.orders),
            borderColor: COLORS[2], backgroundColor: COLORS[2], yAxisID: "y1" },
        ],
      },
      options: { scales: { y: { beginAtZero: true }, y1: { beginAtZero: true, position: "right",
        grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } },
    });

    const groups = report.aov_by_group.map((g) => ({
      label: g.group === "huabei" ? "Huabei instalments" : "All other methods", aov: g.aov_fen, orders: g.orders }));
    const methods = report.aov_by_method.map((m) => ({ label: `· ${m.method}`, aov: m.aov_fen, orders: m.orders }));
    const aovRows = groups.concat(methods);
    draw("chart-aov", {
      type: "bar",
      data: {
        labels: aovRows.map((r) => r.label),
        datasets: [{ label: "AOV (¥)", data: aovRows.map((r) => (r.aov || 0) / 100),
          backgroundColor: aovRows.map((_, i) => (i < groups.length ? COLORS[0] : "#91caff")) }],
      },
      options: { plugins: { legend: { display: false }, subtitle: { display: true,
        text: `Overall AOV ${yuan(k.aov_fen)}` } }, scales: { y: { beginAtZero: true } } },
    });

    draw("chart-payment-mix", {
      type: "doughnut",
      data: {
        labels: report.payment_mix.map((m) => `${m.method} (${percent(m.share_of_paid)})`),
        datasets: [{ data: report.payment_mix.map((m) => m.paid_fen / 100),
          backgroundColor: report.payment_mix.map((_, i) => COLORS[i % COLORS.length]) }],
      },
      options: { plugins: { legend: { position: "right" } } },
    });

    draw("chart-retention", {
      type: "bar",
      data: {
        labels: report.retention.map((r) => `${r.cohort_day.slice(5)} (${r.users})`),
        datasets: [{ label: "Back on day 7 (%)", data: report.retention.map((r) => (r.rate || 0) * 100),
          backgroundColor: COLORS[1] }],
      },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 100 } } },
    });

    draw("chart-conversion", {
      type: "bar",
      data: {
        labels: report.conversion_by_entry.map((c) => ENTRY_NAMES[c.entry] || c.entry),
        datasets: [{ label: "Conversion (%)", data: report.conversion_by_entry.map((c) => (c.rate || 0) * 100),
          backgroundColor: COLORS[4] }],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });

    draw("chart-top-products", {
      type: "bar",
      data: {
        labels: report.top_products.map((p) => p.name || p.product_id),
        datasets: [{ label: "Sales (¥)", data: report.top_products.map((p) => p.sales_fen / 100),
          backgroundColor: COLORS[5] }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    });
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    // No animation: the chart is fully drawn when the constructor returns, so data-ready tells the truth.
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false },
      config.options);
    charts[id] = new window.Chart($(id), config);
  }

  // --- wiring -------------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      $("login-submit").disabled = true;
      try {
        await login($("username").value, $("password").value);
        $("password").value = "";
        showDashboard();
      } catch (err) {
        showLogin(err.message);
      } finally {
        $("login-submit").disabled = false;
      }
    });
    $("range-form").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
    $("logout").addEventListener("click", () => signOut(""));
    if (sessionStorage.getItem(TOKEN)) showDashboard(); else showLogin("");
  });
})();
