import { useEffect, useState } from "react";
import { Alert, Card, Col, DatePicker, Row, Statistic, Table, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import ReactEChartsCore from "echarts-for-react/lib/core";
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { EChartsOption } from "echarts";
import { call } from "../api";
import { formatHours, formatPercent } from "../figures";
import { formatYuan } from "../money";
import { daysBefore, shopDay } from "../shopDay";
import { useI18n } from "../i18n";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

interface Kpis {
  gmv_fen: number;
  refunded_fen: number;
  orders: number;
  aov_fen: number | null;
  coupon_redemption_rate: number | null;
  marketing_cost_ratio: number | null;
  group_buys_succeeded?: number;
  group_buys_failed?: number;
  group_buy_success_rate?: number | null;
}

/** Reviews written in the range, and their average rating per shop day. */
interface ReviewFigures {
  reviews: number;
  average: number | null;
  daily: { day: string; reviews: number; average: number | null }[];
}

/** Paid orders in the range, those with a member-priced line, and what member prices took off. */
interface MemberPriceFigures {
  orders: number;
  member_orders: number;
  share: number | null;
  saving_fen: number;
}

interface Report {
  kpis: Kpis;
  daily: { day: string; gmv_fen: number; orders: number }[];
  aov_by_group: { group: string; orders: number; aov_fen: number | null }[];
  payment_mix: { method: string; paid_fen: number; share_of_paid: number | null }[];
  retention: { cohort_day: string; users: number; rate: number | null }[];
  conversion_by_entry: { entry: string; visitors: number; paid_orders: number; rate: number | null }[];
  top_products: { product_id: string; name: string; qty: number; sales_fen: number }[];
  fulfilment: Fulfilment;
  reviews?: ReviewFigures;
  member_prices?: MemberPriceFigures;
}

/** Seconds from payment to a stage (orders that reached it in the range); null without any. */
interface StageTimes {
  orders: number;
  median_s: number | null;
  p90_s: number | null;
}

interface Fulfilment {
  to_shipped: StageTimes;
  to_delivered: StageTimes;
  to_picked_up: StageTimes;
  pickup: {
    orders: number;
    pickup_orders: number;
    share: number | null;
    by_store: { store_id: string; orders: number; share: number | null }[];
  };
}

/** A tile: test id suffix, title, the raw figure (kept in data-value for tests and tools), the shown text. */
type Tile = [string, string, number | null, string];

function Tiles({ tiles, prefix }: { tiles: Tile[]; prefix: string }) {
  return (
    <Row gutter={[16, 16]}>
      {tiles.map(([id, title, raw, text]) => (
        <Col key={id} xs={12} md={8} xl={4}>
          <Card size="small">
            <Statistic
              title={title}
              valueRender={() => (
                <span data-testid={`${prefix}-${id}`} data-value={raw === null ? "" : String(raw)}>
                  {text}
                </span>
              )}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}

function KpiRow({ kpis, prefix }: { kpis: Kpis; prefix: string }) {
  const { t } = useI18n();
  const tiles: Tile[] = [
    ["gmv", t("dash.gmv"), kpis.gmv_fen, formatYuan(kpis.gmv_fen)],
    ["orders", t("dash.orders"), kpis.orders, String(kpis.orders)],
    ["aov", t("dash.aov"), kpis.aov_fen, formatYuan(kpis.aov_fen)],
    ["refunded", t("dash.refunded"), kpis.refunded_fen, formatYuan(kpis.refunded_fen)],
    ["redemption", t("dash.redemption"), kpis.coupon_redemption_rate, formatPercent(kpis.coupon_redemption_rate)],
    ["cost-ratio", t("dash.costRatio"), kpis.marketing_cost_ratio, formatPercent(kpis.marketing_cost_ratio)],
  ];
  return <Tiles tiles={tiles} prefix={prefix} />;
}

/** Median times from payment to shipped, delivered and picked up, and how many buyers pick up (per store). */
function FulfilmentCard({ fulfilment }: { fulfilment: Fulfilment }) {
  const { t } = useI18n();
  const { to_shipped, to_delivered, to_picked_up, pickup } = fulfilment;
  const tiles: Tile[] = [
    ["to-shipped", t("dash.toShipped"), to_shipped.median_s, formatHours(to_shipped.median_s)],
    ["to-delivered", t("dash.toDelivered"), to_delivered.median_s, formatHours(to_delivered.median_s)],
    ["to-picked-up", t("dash.toPickedUp"), to_picked_up.median_s, formatHours(to_picked_up.median_s)],
    ["pickup-share", t("dash.pickupShare"), pickup.share, formatPercent(pickup.share)],
  ];
  return (
    <Card title={t("dash.fulfilment")} size="small" style={{ marginTop: 16 }} data-testid="fulfilment">
      <Tiles tiles={tiles} prefix="kpi" />
      <Table
        size="small"
        rowKey="store_id"
        pagination={false}
        style={{ marginTop: 16 }}
        dataSource={pickup.by_store}
        data-testid="pickup-stores"
        columns={[
          { title: t("store.id"), dataIndex: "store_id" },
          { title: t("dash.pickupOrders"), dataIndex: "orders" },
          { title: t("dash.pickupShare"), dataIndex: "share", render: (share: number | null) => formatPercent(share) },
        ]}
      />
    </Card>
  );
}

/** Reviews (count, average and its trend), member-price uptake and the group-buy success rate. */
function EngagementCard({ report }: { report: Report }) {
  const { t } = useI18n();
  const { kpis, reviews, member_prices: member } = report;
  const tiles: Tile[] = [
    ["reviews", t("dash.reviews"), reviews?.reviews ?? null, String(reviews?.reviews ?? "–")],
    ["avg-rating", t("dash.avgRating"), reviews?.average ?? null, reviews?.average == null ? "–" : reviews.average.toFixed(2)],
    ["member-share", t("dash.memberShare"), member?.share ?? null, formatPercent(member?.share ?? null)],
    ["member-saving", t("dash.memberSaving"), member?.saving_fen ?? null, formatYuan(member?.saving_fen)],
    ["group-rate", t("dash.groupRate"), kpis.group_buy_success_rate ?? null, formatPercent(kpis.group_buy_success_rate ?? null)],
    ["groups-ended", t("dash.groupsEnded"), kpis.group_buys_succeeded ?? null,
      `${kpis.group_buys_succeeded ?? 0} / ${kpis.group_buys_failed ?? 0}`],
  ];
  const daily = reviews?.daily ?? [];
  const trend: EChartsOption = {
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [t("dash.avgRating"), t("dash.reviews")] },
    xAxis: { type: "category", data: daily.map((d) => d.day.slice(5)) },
    yAxis: [{ type: "value", min: 0, max: 5 }, { type: "value", minInterval: 1 }],
    series: [
      { name: t("dash.avgRating"), type: "line", connectNulls: true, data: daily.map((d) => d.average) },
      { name: t("dash.reviews"), type: "bar", yAxisIndex: 1, data: daily.map((d) => d.reviews) },
    ],
  };
  return (
    <Card title={t("dash.engagement")} size="small" style={{ marginTop: 16 }} data-testid="engagement">
      <Tiles tiles={tiles} prefix="kpi" />
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Chart id="chart-rating-trend" title={t("dash.ratingTrend")} option={trend} />
      </Row>
    </Card>
  );
}

function Chart({ id, title, option }: { id: string; title: string; option: EChartsOption }) {
  return (
    <Col xs={24} xl={12}>
      <Card title={title} size="small" data-testid={id}>
        <ReactEChartsCore echarts={echarts} option={option} className="chart" notMerge />
      </Card>
    </Col>
  );
}

export default function Dashboard() {
  const { t } = useI18n();
  const today = shopDay();
  const [range, setRange] = useState<[string, string]>([daysBefore(today, 6), today]);
  const [report, setReport] = useState<Report | null>(null);
  const [todayReport, setTodayReport] = useState<Report | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let live = true;
    setReport(null);
    setError("");
    Promise.all([
      call<Report>("GET", "/api/merchant/metrics", { query: { from: range[0], to: range[1] } }),
      call<Report>("GET", "/api/merchant/metrics", { query: { from: today, to: today } }),
    ])
      .then(([ranged, todays]) => {
        if (!live) return;
        setReport(ranged);
        setTodayReport(todays);
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [range, today]);

  const onRange = (values: [Dayjs | null, Dayjs | null] | null) => {
    if (values?.[0] && values[1]) setRange([values[0].format("YYYY-MM-DD"), values[1].format("YYYY-MM-DD")]);
  };

  return (
    <div data-testid="dashboard" data-ready={report && todayReport ? "true" : "false"}>
      {error && <Alert type="error" message={error} data-testid="status" style={{ marginBottom: 16 }} />}
      <Typography.Title level={5}>{t("dash.today")}</Typography.Title>
      {todayReport && <KpiRow kpis={todayReport.kpis} prefix="today" />}
      <Row justify="space-between" align="middle" style={{ margin: "24px 0 16px" }}>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {t("dash.range")}
        </Typography.Title>
        <DatePicker.RangePicker
          allowClear={false}
          value={[dayjs(range[0]), dayjs(range[1])]}
          onChange={onRange}
          data-testid="range"
        />
      </Row>
      {report && <KpiRow kpis={report.kpis} prefix="kpi" />}
      {report && <FulfilmentCard fulfilment={report.fulfilment} />}
      {report && <EngagementCard report={report} />}
      {report && <Charts report={report} />}
    </div>
  );
}

function Charts({ report }: { report: Report }) {
  const { t } = useI18n();
  const yuanAxis = { type: "value" as const, axisLabel: { formatter: (v: number) => `¥${v}` } };
  const daily: EChartsOption = {
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [t("dash.gmv"), t("dash.orders")] },
    xAxis: { type: "category", data: report.daily.map((d) => d.day.slice(5)) },
    yAxis: [yuanAxis, { type: "value", minInterval: 1 }],
    series: [
      { name: t("dash.gmv"), type: "bar", data: report.daily.map((d) => d.gmv_fen / 100) },
      { name: t("dash.orders"), type: "line", yAxisIndex: 1, data: report.daily.map((d) => d.orders) },
    ],
  };
  const mix: EChartsOption = {
    tooltip: { trigger: "item", renderMode: "richText" },
    legend: { orient: "vertical", left: "left" },
    series: [{
      type: "pie", radius: ["40%", "70%"],
      data: report.payment_mix.map((m) => ({ name: m.method, value: m.paid_fen / 100 })),
    }],
  };
  const aov: EChartsOption = {
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: { type: "category", data: report.aov_by_group.map((g) => (g.group === "huabei" ? "花呗分期 Huabei" : "其他 Other")) },
    yAxis: yuanAxis,
    series: [{ type: "bar", data: report.aov_by_group.map((g) => (g.aov_fen ?? 0) / 100) }],
  };
  const conversion: EChartsOption = {
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: { type: "category", data: report.conversion_by_entry.map((c) => c.entry) },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [{ type: "bar", data: report.conversion_by_entry.map((c) => +((c.rate ?? 0) * 100).toFixed(1)) }],
  };
  const retention: EChartsOption = {
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: { type: "category", data: report.retention.map((r) => `${r.cohort_day.slice(5)} (${r.users})`) },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ type: "bar", data: report.retention.map((r) => +((r.rate ?? 0) * 100).toFixed(1)) }],
  };
  return (
    <>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Chart id="chart-daily" title={t("dash.daily")} option={daily} />
        <Chart id="chart-payment-mix" title={t("dash.paymentMix")} option={mix} />
        <Chart id="chart-aov" title={t("dash.aovGroup")} option={aov} />
        <Chart id="chart-conversion" title={t("dash.conversion")} option={conversion} />
        <Chart id="chart-retention" title={t("dash.retention")} option={retention} />
        <Col xs={24} xl={12}>
          <Card title={t("dash.top")} size="small">
            <Table
              size="small"
              rowKey="product_id"
              pagination={false}
              dataSource={report.top_products}
              data-testid="top-products"
              columns={[
                { title: t("common.name"), dataIndex: "name" },
                { title: t("dash.qty"), dataIndex: "qty" },
                { title: t("dash.sales"), dataIndex: "sales_fen", render: (fen: number) => formatYuan(fen) },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}
