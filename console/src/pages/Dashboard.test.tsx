import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import Dashboard from "./Dashboard";
import { answer, gateway, renderPage } from "../test/render";

// ECharts draws on a canvas jsdom lacks: the charts are stood in for by their options.
vi.mock("echarts-for-react/lib/core", () => ({
  default: ({ option }: { option: unknown }) => <pre data-testid="chart-option">{JSON.stringify(option)}</pre>,
}));

const STAGE = { orders: 0, median_s: null, p90_s: null };
const REPORT = {
  kpis: {
    gmv_fen: 100_00, refunded_fen: 0, orders: 4, aov_fen: 25_00, coupon_redemption_rate: null, marketing_cost_ratio: null,
    group_buys_succeeded: 3, group_buys_failed: 1, group_buy_success_rate: 0.75,
  },
  daily: [], aov_by_group: [], payment_mix: [], retention: [], conversion_by_entry: [], top_products: [],
  fulfilment: { to_shipped: STAGE, to_delivered: STAGE, to_picked_up: STAGE, pickup: { orders: 0, pickup_orders: 0, share: null, by_store: [] } },
  reviews: {
    reviews: 3, average: 4.33, stars: { 5: 2, 3: 1 }, with_images: 1,
    daily: [{ day: "2026-11-25", reviews: 1, average: 3 }, { day: "2026-11-26", reviews: 2, average: 5 }],
  },
  member_prices: { orders: 4, member_orders: 1, share: 0.25, saving_fen: 2_000 },
};

afterEach(() => vi.unstubAllGlobals());

describe("Dashboard", () => {
  it("shows the rating trend, member-price uptake and the group-buy success rate", async () => {
    gateway({ "GET /api/merchant/metrics": () => answer(200, REPORT) });
    renderPage(<Dashboard />);
    expect(await screen.findByTestId("kpi-avg-rating")).toHaveTextContent("4.33");
    expect(screen.getByTestId("kpi-reviews")).toHaveTextContent("3");
    expect(screen.getByTestId("kpi-member-share")).toHaveAttribute("data-value", "0.25");
    expect(screen.getByTestId("kpi-member-saving")).toHaveTextContent("¥20.00");
    expect(screen.getByTestId("kpi-group-rate")).toHaveAttribute("data-value", "0.75");
    expect(screen.getByTestId("kpi-groups-ended")).toHaveTextContent("3 / 1");
    const trend = JSON.parse(screen.getByTestId("chart-rating-trend").querySelector("pre")!.textContent!);
    expect(trend.xAxis.data).toEqual(["11-25", "11-26"]);
    expect(trend.series[0].data).toEqual([3, 5]);
  }, 60_000);
});
