/* The shop's settings: Huabei interest-free instalments, the express freight template, the merchant profile.
 * Amounts are typed in yuan and sent as fen. */
import { useEffect, useState } from "react";
import { Alert, App, Button, Card, Form, Input, InputNumber, Popconfirm, Radio, Select, Space, Tag } from "antd";
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { ApiError, call } from "../api";
import { fenToYuan, yuanToFen } from "../money";
import { useI18n } from "../i18n";
import { yuanRule } from "./ProductForm";

export interface HuabeiOffer {
  installments: 3 | 6 | 12;
  fee_payer: "buyer" | "merchant" | "seller";
  min_amount_fen: number;
}

interface HuabeiSettings {
  source: "merchant" | "default";
  minimum_fen: number;
  offers: HuabeiOffer[];
}

interface OfferValues {
  installments: 3 | 6 | 12;
  fee_payer: "buyer" | "merchant";
  min_amount: string;
}

export interface FreightRule {
  provinces: string[];
  first_units: number;
  first_fen: number;
  extra_units: number;
  extra_fen: number;
}

export interface FreightTemplate {
  basis: "piece" | "weight";
  free_above_fen: number | null;
  default_item_weight_g: number;
  rules: FreightRule[];
}

interface RuleValues {
  provinces: string;
  first_units: number;
  first: string;
  extra_units: number;
  extra: string;
}

interface FreightValues {
  basis: "piece" | "weight";
  free_above?: string;
  default_item_weight_g: number;
  rules: RuleValues[];
}

export const offerValues = (o: HuabeiOffer): OfferValues => ({
  installments: o.installments,
  fee_payer: o.fee_payer === "buyer" ? "buyer" : "merchant",
  min_amount: fenToYuan(o.min_amount_fen),
});

export const offerBody = (v: OfferValues): HuabeiOffer => ({
  installments: v.installments, fee_payer: v.fee_payer, min_amount_fen: yuanToFen(v.min_amount || "0"),
});

export const freightValues = (f: FreightTemplate): FreightValues => ({
  basis: f.basis,
  free_above: f.free_above_fen === null ? undefined : fenToYuan(f.free_above_fen),
  default_item_weight_g: f.default_item_weight_g,
  rules: f.rules.map((r) => ({
    provinces: r.provinces.join(","), first_units: r.first_units, first: fenToYuan(r.first_fen),
    extra_units: r.extra_units, extra: fenToYuan(r.extra_fen),
  })),
});

export const freightBody = (v: FreightValues): FreightTemplate => ({
  basis: v.basis,
  free_above_fen: v.free_above ? yuanToFen(v.free_above) : null,
  default_item_weight_g: v.default_item_weight_g,
  rules: (v.rules ?? []).map((r) => ({
    provinces: r.provinces.split(/[,，\s]+/).filter(Boolean), first_units: r.first_units, first_fen: yuanToFen(r.first),
    extra_units: r.extra_units, extra_fen: yuanToFen(r.extra),
  })),
});

function useSave() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [error, setError] = useState("");
  const run = async (work: () => Promise<void>) => {
    setError("");
    try {
      await work();
      message.success(t("common.done"));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return { error, run };
}

export function HuabeiCard() {
  const { t } = useI18n();
  const [form] = Form.useForm<{ offers: OfferValues[] }>();
  const [settings, setSettings] = useState<HuabeiSettings | null>(null);
  const { error, run } = useSave();

  const show = (s: HuabeiSettings) => {
    setSettings(s);
    form.setFieldsValue({ offers: s.offers.map(offerValues) });
  };
  useEffect(() => {
    call<HuabeiSettings>("GET", "/api/merchant/huabei-offers").then(show).catch(() => {});
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const save = (v: { offers?: OfferValues[] }) =>
    run(async () => show(await call<HuabeiSettings>("PUT", "/api/merchant/huabei-offers", {
      body: { offers: (v.offers ?? []).map(offerBody) },
    })));
  const reset = () => run(async () => show(await call<HuabeiSettings>("DELETE", "/api/merchant/huabei-offers")));

  return (
    <Card title={t("ops.huabei")} data-testid="huabei-card"
      extra={settings && (
        <Tag color={settings.source === "merchant" ? "green" : undefined} data-testid="huabei-source" data-source={settings.source}>
          {t(settings.source === "merchant" ? "ops.sourceMerchant" : "ops.sourceDefault")}
        </Tag>
      )}>
      <Form form={form} onFinish={save} data-testid="huabei-form">
        <Form.List name="offers">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Space key={field.key} align="baseline" wrap>
                  <Form.Item name={[field.name, "installments"]} label={t("ops.instalments")} rules={[{ required: true }]}>
                    <Select style={{ width: 90 }} options={[3, 6, 12].map((n) => ({ value: n, label: n }))}
                      data-testid={`huabei-installments-${field.name}`} />
                  </Form.Item>
                  <Form.Item name={[field.name, "fee_payer"]} label={t("ops.feePayer")} rules={[{ required: true }]}>
                    <Radio.Group data-testid={`huabei-payer-${field.name}`}>
                      <Radio value="merchant">{t("ops.payerMerchant")}</Radio>
                      <Radio value="buyer">{t("ops.payerBuyer")}</Radio>
                    </Radio.Group>
                  </Form.Item>
                  <Form.Item name={[field.name, "min_amount"]} label={t("ops.minAmount")} rules={[yuanRule(t, { optional: true })]}>
                    <Input style={{ width: 120 }} data-testid={`huabei-min-${field.name}`} />
                  </Form.Item>
                  <MinusCircleOutlined onClick={() => remove(field.name)} />
                </Space>
              ))}
              <Form.Item>
                <Button type="dashed" icon={<PlusOutlined />} disabled={fields.length >= 3} data-testid="huabei-add"
                  onClick={() => add({ installments: [3, 6, 12][fields.length], fee_payer: "merchant", min_amount: "0.00" })}>
                  {t("ops.addRow")}
                </Button>
              </Form.Item>
            </>
          )}
        </Form.List>
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} data-testid="huabei-error" />}
        <Space>
          <Button type="primary" htmlType="submit" data-testid="huabei-save">{t("common.save")}</Button>
          <Popconfirm title={t("ops.resetDefault")} onConfirm={() => void reset()}>
            <Button data-testid="huabei-reset">{t("ops.resetDefault")}</Button>
          </Popconfirm>
        </Space>
      </Form>
    </Card>
  );
}

export function FreightCard() {
  const { t } = useI18n();
  const [form] = Form.useForm<FreightValues>();
  const [loaded, setLoaded] = useState(false);
  const { error, run } = useSave();

  useEffect(() => {
    call<FreightTemplate>("GET", "/api/merchant/freight-template")
      .then((f) => form.setFieldsValue(freightValues(f)))
      .catch((err) => { if (!(err instanceof ApiError && err.status === 404)) throw err; }) // none yet: a new one
      .finally(() => setLoaded(true));
  }, [form]);

  const save = (v: FreightValues) =>
    run(async () => form.setFieldsValue(freightValues(
      await call<FreightTemplate>("PUT", "/api/merchant/freight-template", { body: freightBody(v) }))));

  return (
    <Card title={t("ops.freight")} data-testid="freight-card" data-loaded={loaded}>
      <Form form={form} layout="vertical" onFinish={save} data-testid="freight-form"
        initialValues={{ basis: "piece", default_item_weight_g: 500, rules: [] }}>
        <Space wrap style={{ display: "flex" }}>
          <Form.Item name="basis" label={t("ops.basis")}>
            <Radio.Group>
              <Radio value="piece">{t("ops.byPiece")}</Radio>
              <Radio value="weight">{t("ops.byWeight")}</Radio>
            </Radio.Group>
          </Form.Item>
          <Form.Item name="free_above" label={t("ops.freeAbove")} rules={[yuanRule(t, { optional: true })]}>
            <Input style={{ width: 140 }} data-testid="freight-free-above" />
          </Form.Item>
          <Form.Item name="default_item_weight_g" label={t("ops.itemWeight")}>
            <InputNumber min={1} max={1_000_000} precision={0} />
          </Form.Item>
        </Space>
        <Form.List name="rules">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Space key={field.key} align="baseline" wrap>
                  <Form.Item name={[field.name, "provinces"]} label={t("ops.provinces")} rules={[{ required: true }]}>
                    <Input style={{ width: 280 }} data-testid={`freight-provinces-${field.name}`} />
                  </Form.Item>
                  <Form.Item name={[field.name, "first_units"]} label={t("ops.firstUnits")} rules={[{ required: true }]}>
                    <InputNumber min={1} precision={0} style={{ width: 80 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, "first"]} label={t("ops.firstYuan")} rules={[yuanRule(t)]}>
                    <Input style={{ width: 100 }} data-testid={`freight-first-${field.name}`} />
                  </Form.Item>
                  <Form.Item name={[field.name, "extra_units"]} label={t("ops.extraUnits")} rules={[{ required: true }]}>
                    <InputNumber min={1} precision={0} style={{ width: 80 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, "extra"]} label={t("ops.extraYuan")} rules={[yuanRule(t)]}>
                    <Input style={{ width: 100 }} data-testid={`freight-extra-${field.name}`} />
                  </Form.Item>
                  <MinusCircleOutlined onClick={() => remove(field.name)} />
                </Space>
              ))}
              <Form.Item label={t("ops.rules")}>
                <Button type="dashed" icon={<PlusOutlined />} data-testid="freight-add"
                  onClick={() => add({ provinces: "", first_units: 1, first: "", extra_units: 1, extra: "" })}>
                  {t("ops.addRow")}
                </Button>
              </Form.Item>
            </>
          )}
        </Form.List>
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} data-testid="freight-error" />}
        <Button type="primary" htmlType="submit" data-testid="freight-save">{t("common.save")}</Button>
      </Form>
    </Card>
  );
}

export function ProfileCard() {
  const { t } = useI18n();
  const { error, run } = useSave();
  return (
    <Card title={t("ops.profile")} data-testid="profile-card">
      <Form layout="inline" onFinish={(v: { name: string }) => run(async () => {
        await call("PUT", "/api/merchant/profile", { body: { name: v.name.trim() } });
      })}>
        <Form.Item name="name" label={t("ops.shopName")} rules={[{ required: true, whitespace: true, max: 100 }]}>
          <Input style={{ width: 260 }} data-testid="profile-name" />
        </Form.Item>
        <Button type="primary" htmlType="submit" data-testid="profile-save">{t("common.save")}</Button>
      </Form>
      {error && <Alert type="error" message={error} style={{ marginTop: 16 }} data-testid="profile-error" />}
    </Card>
  );
}

export default function Settings() {
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <ProfileCard />
      <HuabeiCard />
      <FreightCard />
    </Space>
  );
}
