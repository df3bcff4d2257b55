/* The header's bell: the merchant's latest alerts, and each new one as it happens (a paid order, a refund
 * request, a pickup order not made ready in time) from the alert stream; the badge counts the unseen. */
import { useEffect, useRef, useState } from "react";
import { Badge, Button, Drawer, Empty, Tag, Typography } from "antd";
import { BellOutlined } from "@ant-design/icons";
import { call } from "./api";
import { streamAlerts, type Alert } from "./alerts";
import { useI18n, type Translate } from "./i18n";
import { formatYuan } from "./money";

const KEEP = 50;
const COLORS: Record<string, string> = { order_paid: "green", refund_requested: "orange", pickup_not_ready: "red" };

function label(t: Translate, type: string): string {
  switch (type) {
    case "order_paid":
      return t("alerts.orderPaid");
    case "refund_requested":
      return t("alerts.refundRequested");
    case "pickup_not_ready":
      return t("alerts.pickupNotReady");
    default:
      return type;
  }
}

function detail(alert: Alert): string {
  const amount = alert.data.payable_fen ?? alert.data.amount_fen;
  const parts = [alert.order_id ?? ""];
  if (typeof amount === "number") parts.push(formatYuan(amount));
  if (typeof alert.data.reason === "string") parts.push(alert.data.reason);
  return parts.filter(Boolean).join(" · ");
}

export function AlertsBell() {
  const { t } = useI18n();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [unseen, setUnseen] = useState(0);
  const [open, setOpen] = useState(false);
  const [refused, setRefused] = useState(false);
  const known = useRef(new Set<string>());

  useEffect(() => {
    const controller = new AbortController();
    const add = (alert: Alert, counts: boolean) => {
      if (known.current.has(alert.id)) return; // the list and the stream may both bring one alert
      known.current.add(alert.id);
      // newest first, whichever of the list and the stream answers first
      setAlerts((shown) =>
        [alert, ...shown].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)).slice(0, KEEP),
      );
      if (counts) setUnseen((n) => n + 1);
    };
    // The stream starts from now; the latest alerts before it fill the list (not counted as unseen).
    void call<{ items: Alert[] }>("GET", "/api/merchant/alerts", { query: { limit: 20 } })
      .then((answer) => answer.items.slice().reverse().forEach((alert) => add(alert, false)))
      .catch(() => undefined);
    void streamAlerts({
      signal: controller.signal,
      onAlert: (alert) => add(alert, true),
      onRefused: () => setRefused(true),
    });
    return () => controller.abort();
  }, []);

  if (refused) return null; // a role without alerts (a clerk) sees no bell
  return (
    <>
      <Badge count={unseen} size="small" data-testid="alerts-count">
        <Button
          icon={<BellOutlined />}
          aria-label={t("alerts.title")}
          data-testid="alerts-bell"
          onClick={() => {
            setOpen(true);
            setUnseen(0);
          }}
        />
      </Badge>
      <Drawer title={t("alerts.title")} open={open} onClose={() => setOpen(false)} width={380}>
        {alerts.length === 0 ? (
          <Empty description={t("alerts.none")} />
        ) : (
          <div data-testid="alerts-list">
            {alerts.map((alert) => (
              <div key={alert.id} className="console-alert" data-testid="alert-item" data-type={alert.type}>
                <Tag color={COLORS[alert.type] ?? "blue"}>{label(t, alert.type)}</Tag>
                <div>
                  <Typography.Text>{detail(alert)}</Typography.Text>
                </div>
                <Typography.Text type="secondary">{new Date(alert.created_at).toLocaleString()}</Typography.Text>
              </div>
            ))}
          </div>
        )}
      </Drawer>
    </>
  );
}
