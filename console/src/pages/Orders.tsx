import { useCallback, useEffect, useState } from "react";
import {
  Alert, App, Button, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Modal, Select, Space, Table, Tag,
  Typography,
} from "antd";
import { ReloadOutlined, ScanOutlined } from "@ant-design/icons";
import type { Dayjs } from "dayjs";
import { call } from "../api";
import { formatYuan } from "../money";
import { shopTime } from "../shopDay";
import { fill, useI18n } from "../i18n";
import type { Store } from "./ProductForm";

export interface Refund {
  id: string;
  status: string;
  amount_fen: number;
  points_fen: number;
  reason: string;
  reject_reason: string | null;
  with_return: boolean;
  requested_by: string;
  lines: { line_id: string; sku_id: string; name: string; qty: number; amount_fen: number }[];
  created_at: string;
}

export interface Order {
  id: string;
  status: string;
  user_id: string;
  subject: string;
  lines: { id: string; sku_id: string; product_id: string; name: string; qty: number; unit_price_fen: number; line_fen: number }[];
  subtotal_fen: number;
  discount_fen: number;
  points_fen: number;
  freight_fen: number;
  payable_fen: number | null;
  payment: null | { method: string; amount_fen: number; paid_at: string };
  refund: null | Refund; // the open one waiting longest, else the latest
  refunds?: Refund[];
  delivery: null | { method: "express" | "pickup"; store_id?: string; address?: Record<string, string> };
  created_at: string;
  shipped_at: string | null;
}

const PAGE_SIZE = 20;
const STATUSES = ["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED",
  "REFUND_REQUESTED", "REFUNDED"];
const STATUS_COLORS: Record<string, string> = {
  PAID: "blue", SHIPPED: "cyan", DELIVERED: "geekblue", COMPLETED: "green", CANCELLED: "default",
  REFUND_REQUESTED: "orange", REFUNDED: "purple", AWAITING_PAYMENT: "gold",
};
// 快递100 company codes fulfilment checks waybills for.
const CARRIERS = [["shunfeng", "顺丰速运"], ["zhongtong", "中通快递"], ["yuantong", "圆通速递"], ["yunda", "韵达快递"],
  ["shentong", "申通快递"], ["jd", "京东物流"], ["ems", "EMS"]];

export default function Orders() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [total, setTotal] = useState({ n: 0, exact: true });
  const [page, setPage] = useState(1);
  const [status, setStatusState] = useState<string>("");
  const [method, setMethodState] = useState<string>("");
  const [dates, setDatesState] = useState<[string, string] | null>(null);
  const [text, setTextState] = useState("");
  const [detail, setDetail] = useState<Order | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [stores, setStores] = useState<Store[]>([]);
  // A changed filter starts again at the first page.
  const firstPage = <V,>(set: (v: V) => void) => (v: V) => { set(v); setPage(1); };
  const setStatus = firstPage(setStatusState);
  const setMethod = firstPage(setMethodState);
  const setDates = firstPage(setDatesState);
  const setText = firstPage(setTextState);

  // Every filter runs on the server: status, delivery method, the shop's days placed on, part of the number.
  const reload = useCallback(() => {
    setOrders(null);
    call<{ items: Order[]; total: number; total_exact: boolean }>("GET", "/api/merchant/orders", {
      query: {
        status: status || undefined, delivery_method: method || undefined, from: dates?.[0], to: dates?.[1],
        q: text.trim() || undefined, page, limit: PAGE_SIZE,
      },
    })
      .then((a) => { setOrders(a.items); setTotal({ n: a.total, exact: a.total_exact !== false }); })
      .catch((err: Error) => message.error(err.message));
  }, [status, method, dates, text, page, message]);

  useEffect(reload, [reload]);
  useEffect(() => {
    call<{ items: Store[] }>("GET", "/api/merchant/pickup-stores").then((a) => setStores(a.items)).catch(() => {});
  }, []);

  const changed = (order: Order) => {
    setDetail(order);
    message.success(t("common.done"));
    reload();
  };

  return (
    <>
      <Space style={{ marginBottom: 16 }} wrap>
        <Select
          value={status}
          onChange={setStatus}
          style={{ width: 200 }}
          options={[{ value: "", label: `${t("order.status")}: ${t("common.all")}` }, ...STATUSES.map((s) => ({ value: s, label: s }))]}
          data-testid="order-status-filter"
        />
        <Input.Search
          placeholder={t("ops.searchOrders")}
          allowClear
          onSearch={setText}
          style={{ width: 220 }}
          data-testid="order-search"
        />
        <DatePicker.RangePicker
          onChange={(v: [Dayjs | null, Dayjs | null] | null) =>
            setDates(v?.[0] && v[1] ? [v[0].format("YYYY-MM-DD"), v[1].format("YYYY-MM-DD")] : null)}
        />
        <Select
          value={method}
          onChange={setMethod}
          style={{ width: 160 }}
          data-testid="order-method-filter"
          options={[
            { value: "", label: `${t("order.delivery")}: ${t("common.all")}` },
            { value: "express", label: t("order.express") },
            { value: "pickup", label: t("order.pickup") },
          ]}
        />
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
        <Button icon={<ScanOutlined />} onClick={() => setVerifying(true)} data-testid="verify-pickup">
          {t("order.verify")}
        </Button>
      </Space>
      <Table<Order>
        rowKey="id"
        loading={orders === null}
        dataSource={orders ?? []}
        data-testid="orders-table"
        pagination={{
          current: page, pageSize: PAGE_SIZE, total: total.n, showSizeChanger: false, onChange: setPage,
          // above 10,000 matching orders the server counts no further and gives an estimate
          showTotal: (n) => <span data-testid="orders-total">{fill(t(total.exact ? "order.total" : "order.totalAbout"), { n: String(n) })}</span>,
        }}
        columns={[
          { title: t("order.id"), dataIndex: "id", render: (id: string, o) => <a onClick={() => setDetail(o)} data-testid={`order-${id}`}>{id}</a> },
          { title: t("order.subject"), dataIndex: "subject", ellipsis: true },
          { title: t("order.status"), dataIndex: "status", render: (s: string) => <Tag color={STATUS_COLORS[s]}>{s}</Tag> },
          { title: t("order.payable"), dataIndex: "payable_fen", render: (fen: number | null) => formatYuan(fen) },
          { title: t("order.delivery"), render: (_, o) => (o.delivery ? t(o.delivery.method === "pickup" ? "order.pickup" : "order.express") : "–") },
          { title: t("order.createdAt"), dataIndex: "created_at", render: (at: string) => shopTime(at) },
        ]}
      />
      <OrderDrawer order={detail} onClose={() => setDetail(null)} onChanged={changed} />
      <VerifyModal open={verifying} stores={stores} onClose={() => setVerifying(false)} onVerified={() => { setVerifying(false); reload(); }} />
    </>
  );
}

// Refunds the merchant answers: a request (approve or reject), goods on their way back (receive them).
const ANSWERABLE = new Set(["requested"]);
const RETURNING = new Set(["awaiting_return", "returning"]);
// Orders whose paid goods can still be refunded by the merchant on their own.
const REFUNDABLE = new Set(["PAID", "READY_FOR_PICKUP", "SHIPPED", "DELIVERED", "COMPLETED"]);

export function OrderDrawer({ order, onClose, onChanged }: { order: Order | null; onClose: () => void; onChanged: (o: Order) => void }) {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState<Refund | null>(null);
  const id = order ? encodeURIComponent(order.id) : "";

  async function act(path: string, body?: unknown) {
    setBusy(true);
    try {
      const answer = await call<Order | { state: string }>("POST", path, { body, idempotent: true });
      // ready/verify answer the pickup, refunds the refund: the order is read again
      onChanged("subject" in answer ? answer : await fresh(order!));
      return true;
    } catch (err) {
      message.error(explain(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  const refundAct = (refund: Refund, action: "approve" | "reject" | "receive-return", body?: unknown) =>
    act(`/api/merchant/refunds/${encodeURIComponent(refund.id)}/${action}`, body);

  const express = order?.delivery?.method !== "pickup";
  const address = order?.delivery?.address;
  return (
    <Drawer open={order !== null} onClose={onClose} width={720} closable={{ placement: "end" }} title={t("order.detail")} data-testid="order-drawer">
      {order && (
        <>
          <Descriptions column={2} size="small" bordered>
            <Descriptions.Item label={t("order.id")} span={2}>{order.id}</Descriptions.Item>
            <Descriptions.Item label={t("order.status")}>
              <Tag color={STATUS_COLORS[order.status]} data-testid="order-status">{order.status}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t("order.createdAt")}>{shopTime(order.created_at)}</Descriptions.Item>
            <Descriptions.Item label={t("order.payable")}>{formatYuan(order.payable_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("order.discount")}>{formatYuan(order.discount_fen + order.points_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("order.freight")}>{formatYuan(order.freight_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("order.delivery")}>
              {order.delivery ? t(express ? "order.express" : "order.pickup") : "–"}
              {order.delivery?.store_id ? ` · ${order.delivery.store_id}` : ""}
            </Descriptions.Item>
            {address && (
              <Descriptions.Item label={t("store.address")} span={2}>
                {`${address.name} ${address.phone} ${address.province}${address.city}${address.district}${address.detail}`}
              </Descriptions.Item>
            )}
            {order.payment && (
              <Descriptions.Item label={t("order.payment")} span={2}>
                {`${order.payment.method} · ${formatYuan(order.payment.amount_fen)} · ${shopTime(order.payment.paid_at)}`}
              </Descriptions.Item>
            )}
            {order.refund && (
              <Descriptions.Item label={t("order.refund")} span={2}>
                {`${order.refund.status} · ${formatYuan(order.refund.amount_fen)} · ${order.refund.reason}`}
              </Descriptions.Item>
            )}
          </Descriptions>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t("order.lines")}</Typography.Title>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={order.lines}
            columns={[
              { title: t("order.subject"), dataIndex: "name" },
              { title: "SKU", dataIndex: "sku_id" },
              { title: t("order.qty"), dataIndex: "qty" },
              { title: t("order.unitPrice"), dataIndex: "unit_price_fen", render: (fen: number) => formatYuan(fen) },
            ]}
          />
          {order.status === "PAID" && express && (
            <Form
              layout="inline"
              style={{ marginTop: 16 }}
              onFinish={(v: { carrier: string; tracking_no: string }) => act(`/api/merchant/orders/${id}/ship`, v)}
              data-testid="ship-form"
            >
              <Form.Item name="carrier" rules={[{ required: true }]}>
                <Select placeholder={t("order.carrier")} style={{ width: 160 }} options={CARRIERS.map(([code, name]) => ({ value: code, label: name }))} data-testid="ship-carrier" />
              </Form.Item>
              <Form.Item name="tracking_no" rules={[{ required: true, pattern: /^[A-Za-z0-9-]{1,40}$/ }]}>
                <Input placeholder={t("order.trackingNo")} data-testid="ship-tracking" />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="ship-submit">{t("order.ship")}</Button>
            </Form>
          )}
          {order.status === "PAID" && !express && (
            <Button style={{ marginTop: 16 }} type="primary" loading={busy} onClick={() => act(`/api/merchant/orders/${id}/ready`)} data-testid="ready-submit">
              {t("order.ready")}
            </Button>
          )}
          {(order.refunds ?? []).length > 0 && (
            <>
              <Typography.Title level={5} style={{ marginTop: 16 }}>{t("order.refunds")}</Typography.Title>
              <Table<Refund>
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={order.refunds}
                data-testid="refunds-table"
                columns={[
                  { title: "ID", dataIndex: "id" },
                  { title: t("common.status"), dataIndex: "status", render: (s: string, r) => <Tag data-testid={`refund-status-${r.id}`}>{s}</Tag> },
                  { title: t("order.refundLines"), render: (_, r) => r.lines.map((l) => `${l.name} ×${l.qty}`).join("、") },
                  { title: t("order.refund"), render: (_, r) => formatYuan(r.amount_fen) },
                  { title: t("order.refundReason"), render: (_, r) => [r.reason, r.reject_reason].filter(Boolean).join(" / ") },
                  {
                    title: t("common.actions"),
                    render: (_, r) => (
                      <Space>
                        {ANSWERABLE.has(r.status) && (
                          <>
                            <Button size="small" type="primary" loading={busy} onClick={() => void refundAct(r, "approve")} data-testid={`refund-approve-${r.id}`}>
                              {t("order.approve")}
                            </Button>
                            <Button size="small" danger loading={busy} onClick={() => setRejecting(r)} data-testid={`refund-reject-${r.id}`}>
                              {t("order.reject")}
                            </Button>
                          </>
                        )}
                        {RETURNING.has(r.status) && (
                          <Button size="small" loading={busy} onClick={() => void refundAct(r, "receive-return")} data-testid={`refund-receive-${r.id}`}>
                            {t("order.receiveReturn")}
                          </Button>
                        )}
                      </Space>
                    ),
                  },
                ]}
              />
            </>
          )}
          {REFUNDABLE.has(order.status) && (
            <PartialRefund order={order} busy={busy} onRefund={(body) => act(`/api/merchant/orders/${id}/refund`, body)} />
          )}
          <Modal
            open={rejecting !== null}
            title={t("order.reject")}
            onCancel={() => setRejecting(null)}
            footer={null}
            destroyOnClose
          >
            <Form
              layout="vertical"
              onFinish={async (v: { reason: string }) => {
                if (rejecting && await refundAct(rejecting, "reject", { reason: v.reason.trim() })) setRejecting(null);
              }}
              data-testid="refund-reject-form"
            >
              <Form.Item name="reason" label={t("order.rejectReason")} rules={[{ required: true, whitespace: true, message: t("login.required") }, { max: 200 }]}>
                <Input data-testid="refund-reject-reason" />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="refund-reject-submit">{t("order.reject")}</Button>
            </Form>
          </Modal>
        </>
      )}
    </Drawer>
  );
}

export function VerifyModal({ open, stores, onClose, onVerified }: { open: boolean; stores: Store[]; onClose: () => void; onVerified: () => void }) {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const [error, setError] = useState("");
  const [form] = Form.useForm<{ code: string; store_id: string }>();

  async function verify(values: { code: string; store_id: string }) {
    setError("");
    try {
      const answer = await call<{ order_id: string; lines: { line_id: string; name: string; remaining_qty: number }[] }>(
        "POST", "/api/merchant/pickups/verify", { body: values, idempotent: true });
      // What to hand over: each line less its refunded units (a partly refunded order keeps its code)
      modal.success({
        title: `${t("common.done")}: ${answer.order_id}`,
        content: (
          <div data-testid="verify-hand-over">
            {t("order.handOver")}
            <ul>
              {answer.lines.filter((line) => line.remaining_qty > 0).map((line) => (
                <li key={line.line_id}>{line.name} × {line.remaining_qty}</li>
              ))}
            </ul>
          </div>
        ),
      });
      form.resetFields();
      onVerified();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Modal open={open} title={t("order.verify")} onCancel={onClose} onOk={() => form.submit()} destroyOnClose>
      <Form form={form} layout="vertical" onFinish={verify} data-testid="verify-form">
        <Form.Item name="store_id" label={t("order.store")} rules={[{ required: true }]}>
          <Select options={stores.map((s) => ({ value: s.store_id, label: s.name }))} data-testid="verify-store" />
        </Form.Item>
        <Form.Item name="code" label={t("order.code")} rules={[{ required: true, max: 200 }]}>
          <Input data-testid="verify-code" />
        </Form.Item>
        {error && <Alert type="error" message={error} data-testid="verify-error" />}
      </Form>
    </Modal>
  );
}

/** The order as it is now (a refund's answer is the refund; the drawer shows the whole order). */
async function fresh(order: Order): Promise<Order> {
  const answer = await call<{ items: Order[] }>("GET", "/api/merchant/orders", { query: { limit: 100 } });
  return answer.items.find((o) => o.id === order.id) ?? order;
}

/** The merchant refunds some units of some lines on their own (say, one was out of stock): approved at once. */
export function PartialRefund({ order, busy, onRefund }: {
  order: Order;
  busy: boolean;
  onRefund: (body: { reason: string; lines: { line_id: string; qty: number }[] }) => Promise<boolean>;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string; qty: Record<string, number | null> }>();
  const [error, setError] = useState("");

  async function submit(values: { reason: string; qty?: Record<string, number | null> }) {
    const lines = Object.entries(values.qty ?? {})
      .filter(([, qty]) => qty && qty > 0)
      .map(([line_id, qty]) => ({ line_id, qty: qty as number }));
    if (!lines.length) {
      setError(t("order.refundNone"));
      return;
    }
    setError("");
    if (await onRefund({ reason: values.reason.trim(), lines })) form.resetFields();
  }

  return (
    <>
      <Typography.Title level={5} style={{ marginTop: 16 }}>{t("order.partialRefund")}</Typography.Title>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="partial-refund-form">
        {order.lines.map((line) => (
          <Form.Item key={line.id} name={["qty", line.id]} label={`${line.name} (${formatYuan(line.unit_price_fen)} ×${line.qty})`}>
            <InputNumber min={0} max={line.qty} precision={0} placeholder={t("order.refundQty")} data-testid={`refund-qty-${line.id}`} />
          </Form.Item>
        ))}
        <Form.Item name="reason" label={t("order.refundReason")} rules={[{ required: true, whitespace: true, message: t("login.required") }, { max: 200 }]}>
          <Input data-testid="partial-refund-reason" />
        </Form.Item>
        {error && <Alert type="error" message={error} style={{ marginBottom: 8 }} data-testid="partial-refund-error" />}
        <Button danger htmlType="submit" loading={busy} data-testid="partial-refund-submit">{t("order.refundSubmit")}</Button>
      </Form>
    </>
  );
}
