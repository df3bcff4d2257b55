/* Store checkout (当面付/刷脸付) at the counter: ring up SKUs at one of the merchant's stores and charge the
 * buyer's payment code (scanned into the field) or a face device's token. The answer comes once Alipay's
 * outcome is known. One Idempotency-Key per sale, kept until an answer arrives, so pressing again after a
 * network error never charges twice; a declined charge is retried on the same order with another code. */
import { useEffect, useState } from "react";
import { Alert, App, Button, Card, Form, Input, InputNumber, Radio, Select, Space } from "antd";
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { call, newKey } from "../api";
import { fenToYuan } from "../money";
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
  items: { sku_id: string; qty: number }[];
  scene: "bar_code" | "security_code";
  auth_code: string;
}

export default function Checkout() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Sale>();
  const [stores, setStores] = useState<Store[] | null>(null);
  const [key, setKey] = useState(newKey);
  const [charge, setCharge] = useState<Charge | null>(null);
  const [busy, setBusy] = useState(false);

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
        : (await call<{ charge: Charge }>("POST", "/api/merchant/store-checkouts", { key, body: sale })).charge;
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
          initialValues={{ scene: "bar_code", items: [{ sku_id: "", qty: 1 }] }}>
          <Form.Item name="store_id" label={t("pos.store")} rules={[{ required: true }]}>
            <Select style={{ maxWidth: 360 }} loading={stores === null} disabled={charge?.status === "failed"}
              options={(stores ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }))}
              data-testid="pos-store" />
          </Form.Item>
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
