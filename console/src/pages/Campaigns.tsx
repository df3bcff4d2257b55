import { useCallback, useEffect, useState } from "react";
import {
  Alert, App, Button, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Radio, Select, Space, Table, Tag,
} from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import type { Dayjs } from "dayjs";
import { call } from "../api";
import { formatYuan, yuanToFen } from "../money";
import { useI18n } from "../i18n";
import { shopTime } from "../shopDay";
import { yuanRule, type Store } from "./ProductForm";
import type { AlipayFeatures } from "./AlipayProducts";
import AlipayVoucherButton from "./AlipayVoucherButton";

export interface Template {
  id: string;
  campaign_id: string;
  name: string;
  channel: string;
  kind: "fixed" | "percent";
  amount_fen: number | null;
  threshold_fen: number;
  percent_off_bp: number | null;
  cap_fen: number | null;
  total_qty: number;
  remaining: number;
  store_id: string | null;
}

export interface Campaign {
  id: string;
  name: string;
  kind: "coupon" | "fission";
  status: string;
  budget_fen: number | null;
  committed_fen: number;
  redeemed_fen: number;
  fission_needed: number | null;
  starts_at: string | null;
  ends_at: string | null;
  templates: Template[];
}

type Stats = Campaign & { issued: number; used: number; locked: number; expired: number; groups: number; unlocked_groups: number };

export const offerText = (tpl: Template) =>
  tpl.kind === "fixed"
    ? `${tpl.threshold_fen ? `满${formatYuan(tpl.threshold_fen)}` : ""}减${formatYuan(tpl.amount_fen)}`
    : `${(10 - (tpl.percent_off_bp ?? 0) / 1000).toFixed(1)}折 (≤${formatYuan(tpl.cap_fen)})`;

export default function Campaigns() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [templateFor, setTemplateFor] = useState<Campaign | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [stores, setStores] = useState<Store[]>([]);
  const [vouchers, setVouchers] = useState(false);

  const reload = useCallback(() => {
    setCampaigns(null);
    call<{ items: Campaign[] }>("GET", "/api/merchant/campaigns")
      .then((a) => setCampaigns(a.items))
      .catch((err: Error) => message.error(err.message));
  }, [message]);
  useEffect(reload, [reload]);
  useEffect(() => {
    call<{ items: Store[] }>("GET", "/api/merchant/pickup-stores").then((a) => setStores(a.items)).catch(() => {});
    // Templates can be published as Alipay vouchers once the owner switched them on.
    call<AlipayFeatures>("GET", "/api/merchant/alipay-features").then((f) => setVouchers(f.alipay_vouchers))
      .catch(() => {});
  }, []);

  async function setStatus(campaign: Campaign, status: string) {
    try {
      await call("PATCH", `/api/merchant/campaigns/${encodeURIComponent(campaign.id)}`, { body: { status } });
      reload();
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="campaign-new">
          {t("camp.new")}
        </Button>
      </Space>
      <Table<Campaign>
        rowKey="id"
        loading={campaigns === null}
        dataSource={campaigns ?? []}
        data-testid="campaigns-table"
        expandable={{
          expandedRowRender: (c) => (
            <Table<Template>
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={c.templates}
              columns={[
                { title: t("common.name"), dataIndex: "name" },
                { title: t("camp.channel"), dataIndex: "channel" },
                { title: t("camp.kind"), render: (_, tpl) => offerText(tpl) },
                { title: t("camp.remaining"), render: (_, tpl) => `${tpl.remaining} / ${tpl.total_qty}` },
                { title: t("camp.store"), dataIndex: "store_id" },
                ...(vouchers ? [{ title: t("alipay.voucher"), render: (_: unknown, tpl: Template) => (
                  <AlipayVoucherButton templateId={tpl.id} />) }] : []),
              ]}
            />
          ),
        }}
        columns={[
          { title: t("common.name"), dataIndex: "name" },
          { title: t("camp.kind"), dataIndex: "kind", render: (k: string) => t(k === "fission" ? "camp.fission" : "camp.coupon") },
          { title: t("common.status"), dataIndex: "status", render: (s: string) => <Tag color={s === "active" ? "green" : undefined}>{s}</Tag> },
          { title: t("camp.budget"), dataIndex: "budget_fen", render: (fen: number | null) => formatYuan(fen) },
          { title: t("camp.committed"), dataIndex: "committed_fen", render: (fen: number) => formatYuan(fen) },
          { title: t("camp.redeemed"), dataIndex: "redeemed_fen", render: (fen: number) => formatYuan(fen) },
          {
            title: `${t("camp.starts")} – ${t("camp.ends")}`,
            render: (_, c) => `${c.starts_at ? shopTime(c.starts_at) : "…"} – ${c.ends_at ? shopTime(c.ends_at) : "…"}`,
          },
          { title: t("camp.templates"), render: (_, c) => c.templates.length },
          {
            title: t("common.actions"),
            render: (_, c) => (
              <Space wrap>
                <Button size="small" onClick={() => setTemplateFor(c)} data-testid={`add-template-${c.id}`}>{t("camp.addTemplate")}</Button>
                <Button size="small" data-testid={`stats-${c.id}`} onClick={() => call<Stats>("GET", `/api/merchant/campaigns/${encodeURIComponent(c.id)}/stats`).then(setStats).catch((e: Error) => message.error(e.message))}>
                  {t("camp.stats")}
                </Button>
                {c.status === "active" && <Button size="small" onClick={() => void setStatus(c, "paused")}>{t("camp.pause")}</Button>}
                {c.status === "paused" && <Button size="small" onClick={() => void setStatus(c, "active")}>{t("camp.resume")}</Button>}
                {c.status !== "ended" && <Button size="small" danger onClick={() => void setStatus(c, "ended")}>{t("camp.end")}</Button>}
              </Space>
            ),
          },
        ]}
      />
      <CampaignModal open={creating} onClose={() => setCreating(false)} onCreated={() => { setCreating(false); reload(); }} />
      <TemplateModal campaign={templateFor} stores={stores} onClose={() => setTemplateFor(null)} onCreated={() => { setTemplateFor(null); reload(); }} />
      <Modal open={stats !== null} title={stats?.name} footer={null} onCancel={() => setStats(null)}>
        {stats && (
          <Descriptions column={2} size="small" bordered data-testid="campaign-stats">
            <Descriptions.Item label={t("camp.issued")}>{stats.issued}</Descriptions.Item>
            <Descriptions.Item label={t("camp.used")}>{stats.used}</Descriptions.Item>
            <Descriptions.Item label={t("camp.locked")}>{stats.locked}</Descriptions.Item>
            <Descriptions.Item label={t("camp.expired")}>{stats.expired}</Descriptions.Item>
            <Descriptions.Item label={t("camp.committed")}>{formatYuan(stats.committed_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("camp.redeemed")}>{formatYuan(stats.redeemed_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("camp.budget")}>{formatYuan(stats.budget_fen)}</Descriptions.Item>
            <Descriptions.Item label={t("camp.remainingBudget")}>
              {stats.budget_fen === null ? "–" : formatYuan(stats.budget_fen - stats.committed_fen)}
            </Descriptions.Item>
            {stats.kind === "fission" && (
              <Descriptions.Item label={t("camp.groups")} span={2}>{`${stats.unlocked_groups} / ${stats.groups}`}</Descriptions.Item>
            )}
          </Descriptions>
        )}
      </Modal>
    </>
  );
}

interface CampaignValues {
  name: string;
  kind: "coupon" | "fission";
  budget?: string;
  period?: [Dayjs, Dayjs];
  fission_needed?: number;
}

function CampaignModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<CampaignValues>();
  const [error, setError] = useState("");
  const kind = Form.useWatch("kind", form);

  async function create(values: CampaignValues) {
    setError("");
    try {
      await call("POST", "/api/merchant/campaigns", {
        idempotent: true,
        body: {
          name: values.name,
          kind: values.kind,
          budget_fen: values.budget ? yuanToFen(values.budget) : null,
          starts_at: values.period?.[0]?.toISOString() ?? null,
          ends_at: values.period?.[1]?.toISOString() ?? null,
          ...(values.kind === "fission" ? { fission_needed: values.fission_needed } : {}),
        },
      });
      form.resetFields();
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Modal open={open} title={t("camp.new")} onCancel={onClose} onOk={() => form.submit()} destroyOnClose>
      <Form form={form} layout="vertical" onFinish={create} initialValues={{ kind: "coupon" }} data-testid="campaign-form">
        <Form.Item name="name" label={t("common.name")} rules={[{ required: true, whitespace: true, max: 100 }]}>
          <Input data-testid="campaign-name" />
        </Form.Item>
        <Form.Item name="kind" label={t("camp.kind")}>
          <Radio.Group options={[{ value: "coupon", label: t("camp.coupon") }, { value: "fission", label: t("camp.fission") }]} />
        </Form.Item>
        {kind === "fission" && (
          <Form.Item name="fission_needed" label={t("camp.fissionNeeded")} rules={[{ required: true }]}>
            <InputNumber min={1} max={100} precision={0} />
          </Form.Item>
        )}
        <Form.Item name="budget" label={t("camp.budget")} rules={[yuanRule(t, { optional: true })]}>
          <Input prefix="¥" data-testid="campaign-budget" />
        </Form.Item>
        <Form.Item name="period" label={`${t("camp.starts")} – ${t("camp.ends")}`}>
          <DatePicker.RangePicker showTime />
        </Form.Item>
        {error && <Alert type="error" message={error} />}
      </Form>
    </Modal>
  );
}

interface TemplateValues {
  name: string;
  channel: string;
  kind: "fixed" | "percent";
  amount?: string;
  threshold?: string;
  percent_off?: number;
  cap?: string;
  valid_days: number;
  total_qty: number;
  per_user_limit: number;
  store_id?: string;
}

function TemplateModal({ campaign, stores, onClose, onCreated }: {
  campaign: Campaign | null; stores: Store[]; onClose: () => void; onCreated: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<TemplateValues>();
  const [error, setError] = useState("");
  const kind = Form.useWatch("kind", form);
  const channels = campaign?.kind === "fission" ? ["fission_sharer", "fission_friend"] : ["public", "store_code"];

  async function create(values: TemplateValues) {
    setError("");
    try {
      const fixed = values.kind === "fixed";
      await call("POST", `/api/merchant/campaigns/${encodeURIComponent(campaign!.id)}/templates`, {
        idempotent: true,
        body: {
          name: values.name,
          channel: values.channel,
          kind: values.kind,
          threshold_fen: values.threshold ? yuanToFen(values.threshold) : 0,
          ...(fixed
            ? { amount_fen: yuanToFen(values.amount ?? "") }
            : { percent_off_bp: Math.round((values.percent_off ?? 0) * 100), cap_fen: yuanToFen(values.cap ?? "") }),
          valid_days: values.valid_days,
          total_qty: values.total_qty,
          per_user_limit: values.per_user_limit,
          store_id: values.store_id || null,
        },
      });
      form.resetFields();
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Modal open={campaign !== null} title={`${t("camp.addTemplate")} · ${campaign?.name ?? ""}`} onCancel={onClose} onOk={() => form.submit()} destroyOnClose>
      <Form
        form={form}
        layout="vertical"
        onFinish={create}
        data-testid="template-form"
        initialValues={{ kind: "fixed", channel: channels[0], valid_days: 30, total_qty: 100, per_user_limit: 1 }}
      >
        <Form.Item name="name" label={t("common.name")} rules={[{ required: true, whitespace: true, max: 100 }]}>
          <Input data-testid="template-name" />
        </Form.Item>
        <Form.Item name="channel" label={t("camp.channel")}>
          <Select options={channels.map((c) => ({ value: c, label: c }))} data-testid="template-channel" />
        </Form.Item>
        <Form.Item name="kind" label={t("camp.kind")}>
          <Radio.Group options={[{ value: "fixed", label: t("camp.fixed") }, { value: "percent", label: t("camp.percent") }]} />
        </Form.Item>
        {kind !== "percent" ? (
          <Form.Item name="amount" label={t("camp.amount")} rules={[{ required: true, message: t("money.invalid") }, yuanRule(t)]}>
            <Input prefix="¥" data-testid="template-amount" />
          </Form.Item>
        ) : (
          <Space>
            <Form.Item name="percent_off" label={t("camp.percentOff")} rules={[{ required: true }]}>
              <InputNumber min={0.01} max={99.99} step={1} />
            </Form.Item>
            <Form.Item name="cap" label={t("camp.cap")} rules={[{ required: true, message: t("money.invalid") }, yuanRule(t)]}>
              <Input prefix="¥" />
            </Form.Item>
          </Space>
        )}
        <Form.Item name="threshold" label={t("camp.threshold")} rules={[yuanRule(t, { optional: true })]}>
          <Input prefix="¥" data-testid="template-threshold" />
        </Form.Item>
        <Space>
          <Form.Item name="valid_days" label={t("camp.validDays")} rules={[{ required: true }]}>
            <InputNumber min={1} max={365} precision={0} />
          </Form.Item>
          <Form.Item name="total_qty" label={t("camp.totalQty")} rules={[{ required: true }]}>
            <InputNumber min={1} max={10_000_000} precision={0} />
          </Form.Item>
          <Form.Item name="per_user_limit" label={t("camp.perUser")} rules={[{ required: true }]}>
            <InputNumber min={1} max={100} precision={0} />
          </Form.Item>
        </Space>
        <Form.Item name="store_id" label={t("camp.store")}>
          <Select allowClear options={stores.map((s) => ({ value: s.store_id, label: s.name }))} data-testid="template-store" />
        </Form.Item>
        {error && <Alert type="error" message={error} />}
      </Form>
    </Modal>
  );
}
