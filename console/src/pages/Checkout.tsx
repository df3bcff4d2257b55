/* Store checkout (当面付/刷脸付) at the counter: ring up SKUs, or an amount without goods (到店消费, typed in
 * yuan and sent as fen), at one of the merchant's stores and charge the buyer's payment code (scanned into the
 * field) or a face device's token. The answer comes once Alipay's
 * outcome is known. One Idempotency-Key per sale, kept until an answer arrives, so pressing again after a
 * network error never charges twice; a declined charge is retried on the same order with another code. */
import { useEffect, useState } from "react";
import { Alert, App, Button, Card, Form, Input, InputNumber, Radio, Select, Space } from "antd";
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { call, newKey } from "../api";
import { fenToYuan, yuanToFen } from "../money";
import { useI18n } from "../i18n";

interface Store {
  id: string;
  name: string;
  active: boolean;
}

export interface Charge {
  order_id: string;
  status: "succeeded" | "failed";
  amount_fen: number;
  reason: string | null;
}

interface Sale {
  store_id: string;
  mode: "items" | "amount";
  items: { sku_id: string; qty: number }[];
  amount_yuan: number;
  scene: "bar_code" | "security_code";
  auth_code: string;
}

const MAX_AMOUNT_YUAN = 50000; // the gateway's bound on an amount rung up without goods

/** What the gateway is sent: the SKUs, or the amount in fen (never both). */
export function saleBody(sale: Sale) {
  const { store_id, scene, auth_code } = sale;
  return sale.mode === "amount"
    ? { store_id, amount_fen: yuanToFen(sale.amount_yuan), scene, auth_code }
    : { store_id, items: sale.items, scene, auth_code };
}

export default function Checkout() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Sale>();
  const [stores, setStores] = useState<Store[] | null>(null);
  const [key, setKey] = useState(newKey);
  const [charge, setCharge] = useState<Charge | null>(null);
  const [busy, setBusy] = useState(false);
  const mode = Form.useWatch("mode", form) ?? "items";

  useEffect(() => {
    call<{ items: Store[] }>("GET", "/api/merchant/stores")
      .then((a) => {
        const open = a.items.filter((s) => s.active);
        setStores(open);
        if (open.length === 1) form.setFieldValue("store_id", open[0].id); // the usual counter: one store
      })
      .catch((err: Error) => message.error(err.message));
  }, [message, form]);

  async function submit(sale: Sale) {
    setBusy(true);
    try {
      const unpaid = charge?.status === "failed" ? charge.order_id : null;
      const answer = unpaid
        ? await call<Charge>("POST", `/api/merchant/orders/${encodeURIComponent(unpaid)}/store-charge`, {
            key, body: { store_id: sale.store_id, scene: sale.scene, auth_code: sale.auth_code },
          })
        : (await call<{ charge: Charge }>("POST", "/api/merchant/store-checkouts", {
            key, body: saleBody(sale),
          })).charge;
      setCharge(answer);
      setKey(newKey()); // answered: the next press is a new charge
      form.setFieldValue("auth_code", "");
    } catch (err) {
      message.error((err as Error).message); // the same key again next time: never a second charge
    } finally {
      setBusy(false);
    }
  }

  function newSale() {
    setCharge(null);
    form.resetFields();
  }

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Card>
        <Form form={form} layout="vertical" onFinish={submit} data-testid="pos-form"
          initialValues={{ mode: "items", scene: "bar_code", items: [{ sku_id: "", qty: 1 }] }}>
          <Form.Item name="store_id" label={t("pos.store")} rules={[{ required: true }]}>
            <Select style={{ maxWidth: 360 }} loading={stores === null} disabled={charge?.status === "failed"}
              options={(stores ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }))}
              data-testid="pos-store" />
          </Form.Item>
          <Form.Item name="mode" label={t("pos.mode")}>
            <Radio.Group disabled={charge?.status === "failed"} data-testid="pos-mode"
              options={[{ value: "items", label: t("pos.modeItems") }, { value: "amount", label: t("pos.modeAmount") }]} />
          </Form.Item>
          {mode === "amount" ? (
            <Form.Item name="amount_yuan" label={t("pos.amount")} extra={t("pos.amountHint")}
              rules={[{ required: true }]}>
              <InputNumber min={0.01} max={MAX_AMOUNT_YUAN} precision={2} prefix="¥" style={{ width: 200 }}
                disabled={charge?.status === "failed"} data-testid="pos-amount" />
            </Form.Item>
          ) : (
            <Form.List name="items">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((field) => (
                    <Space key={field.key} align="baseline">
                      <Form.Item name={[field.name, "sku_id"]} label={t("pos.sku")} rules={[{ required: true }]}>
                        <Input disabled={charge?.status === "failed"} data-testid={`pos-sku-${field.name}`} />
                      </Form.Item>
                      <Form.Item name={[field.name, "qty"]} label={t("pos.qty")} rules={[{ required: true }]}>
                        <InputNumber min={1} max={99} precision={0} disabled={charge?.status === "failed"} />
                      </Form.Item>
                      {fields.length > 1 && <MinusCircleOutlined onClick={() => remove(field.name)} />}
                    </Space>
                  ))}
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ sku_id: "", qty: 1 })}
                    disabled={charge?.status === "failed"}>{t("pos.addLine")}</Button>
                </>
              )}
            </Form.List>
          )}
          <Form.Item name="scene" label={t("pos.scene")} style={{ marginTop: 16 }}>
            <Radio.Group options={[{ value: "bar_code", label: t("pos.barCode") },
              { value: "security_code", label: t("pos.face") }]} />
          </Form.Item>
          <Form.Item name="auth_code" label={t("pos.authCode")}
            rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{8,64}$/ }]}>
            <Input autoFocus autoComplete="off" style={{ maxWidth: 360 }} data-testid="pos-auth-code" />
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="pos-charge">{t("pos.charge")}</Button>
            {charge && <Button onClick={newSale}>{t("pos.newSale")}</Button>}
          </Space>
        </Form>
      </Card>
      {charge?.status === "succeeded" && (
        <Alert type="success" showIcon data-testid="pos-result"
          message={`${t("pos.paid")} ¥${fenToYuan(charge.amount_fen)}`} />
      )}
      {charge?.status === "failed" && (
        <Alert type="warning" showIcon data-testid="pos-result"
          message={`${t("pos.failed")}: ${charge.reason ?? ""}`} description={t("pos.again")} />
      )}
    </Space>
  );
}
