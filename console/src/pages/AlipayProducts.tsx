/* The owner's switches for Alipay's own products (store checkout, Sesame deposit-free, merchant vouchers,
 * 集分宝) and the 集分宝 budget: the budget library bought at Alipay, the rate per paid yuan, and what Alipay
 * says is left in it. Publishing a coupon template as a voucher is on the campaigns page. */
import { useCallback, useEffect, useState } from "react";
import { Alert, App, Button, Card, Descriptions, Form, Input, InputNumber, Space, Switch } from "antd";
import { ApiError, call } from "../api";
import { formatYuan } from "../money";
import { useI18n } from "../i18n";

export interface AlipayFeatures {
  store_checkout: boolean;
  sesame_deposit: boolean;
  alipay_vouchers: boolean;
  jifenbao: boolean;
}

interface Budget {
  budget_code: string;
  points_per_yuan: number;
  remaining_points: number | null; // null: Alipay did not answer just now
}

const SWITCHES = ["store_checkout", "sesame_deposit", "alipay_vouchers", "jifenbao"] as const;
const POINT_FEN = 1; // 100 集分宝 are worth ¥1

export default function AlipayProducts() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [features, setFeatures] = useState<AlipayFeatures | null>(null);
  const [budget, setBudget] = useState<Budget | null | undefined>(undefined); // null: none set yet
  const [form] = Form.useForm<AlipayFeatures>();
  const [budgetForm] = Form.useForm<{ budget_code: string; points_per_yuan: number }>();

  const loadBudget = useCallback(() => {
    call<Budget>("GET", "/api/merchant/jifenbao")
      .then((b) => { setBudget(b); budgetForm.setFieldsValue(b); })
      .catch((err: Error) => {
        if (err instanceof ApiError && err.code === "jifenbao_budget_not_found") setBudget(null);
        else message.error(err.message);
      });
  }, [budgetForm, message]);

  useEffect(() => {
    call<AlipayFeatures>("GET", "/api/merchant/alipay-features")
      .then((f) => { setFeatures(f); form.setFieldsValue(f); })
      .catch((err: Error) => message.error(err.message));
  }, [form, message]);
  useEffect(() => { if (features?.jifenbao) loadBudget(); }, [features?.jifenbao, loadBudget]);

  async function saveFeatures(values: AlipayFeatures) {
    try {
      const body = Object.fromEntries(SWITCHES.map((k) => [k, Boolean(values[k])]));
      const saved = await call<AlipayFeatures>("PUT", "/api/merchant/alipay-features", { body });
      setFeatures(saved);
      message.success(t("alipay.saved"));
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  async function saveBudget(values: { budget_code: string; points_per_yuan: number }) {
    try {
      await call("PUT", "/api/merchant/jifenbao", { body: values });
      message.success(t("alipay.saved"));
      loadBudget(); // what is left, as Alipay counts it
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Card title={t("alipay.products")} loading={features === null}>
        <Form form={form} layout="horizontal" onFinish={saveFeatures} data-testid="alipay-features">
          {SWITCHES.map((k) => (
            <Form.Item key={k} name={k} label={t(`alipay.${k}`)} valuePropName="checked"
              extra={t(`alipay.${k}.hint`)}>
              <Switch data-testid={`feature-${k}`} />
            </Form.Item>
          ))}
          <Button type="primary" htmlType="submit" data-testid="features-save">{t("common.save")}</Button>
        </Form>
      </Card>
      {features?.jifenbao && (
        <Card title={t("alipay.jifenbaoBudget")} data-testid="jifenbao-card">
          {budget && (
            <Descriptions size="small" column={1} style={{ marginBottom: 16 }} data-testid="jifenbao-remaining">
              <Descriptions.Item label={t("alipay.remaining")}>
                {budget.remaining_points === null
                  ? t("alipay.remainingUnknown")
                  : `${budget.remaining_points} (${formatYuan(budget.remaining_points * POINT_FEN)})`}
              </Descriptions.Item>
            </Descriptions>
          )}
          {budget === null && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t("alipay.noBudget")} />}
          <Form form={budgetForm} layout="vertical" onFinish={saveBudget} initialValues={{ points_per_yuan: 1 }}>
            <Form.Item name="budget_code" label={t("alipay.budgetCode")}
              rules={[{ required: true, pattern: /^[A-Za-z0-9_]{1,64}$/ }]}>
              <Input style={{ maxWidth: 360 }} data-testid="budget-code" />
            </Form.Item>
            <Form.Item name="points_per_yuan" label={t("alipay.pointsPerYuan")} extra={t("alipay.pointsPerYuanHint")}
              rules={[{ required: true }]}>
              <InputNumber min={0} max={100} precision={0} data-testid="points-per-yuan" />
            </Form.Item>
            <Button type="primary" htmlType="submit" data-testid="budget-save">{t("common.save")}</Button>
          </Form>
        </Card>
      )}
    </Space>
  );
}
