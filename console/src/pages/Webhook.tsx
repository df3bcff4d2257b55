/* The merchant's webhook: where alerts are POSTed (a printer, an ERP), its signing secret and rotation, a test
 * button, and the latest deliveries. The mall makes the secret at the first save; a rotation keeps the old
 * one signing too for a while (both signatures in the header), so the receiver can switch without a gap. */
import { useCallback, useEffect, useState } from "react";
import { Alert, App, Button, Card, Descriptions, Form, Input, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { ReloadOutlined } from "@ant-design/icons";
import { ApiError, call } from "../api";
import { useI18n } from "../i18n";

export interface WebhookSettings {
  url: string;
  secret: string;
  updated_at: string;
  previous_secret_until?: string | null;
}

interface TestOutcome {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

export interface Delivery {
  delivery_id: string;
  kind: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string;
  delivered_at: string | null;
}

const STATUS_COLORS: Record<string, string> = { delivered: "green", pending: "blue", failed: "red" };

export default function Webhook() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ url: string }>();
  const [hook, setHook] = useState<WebhookSettings | null | undefined>(undefined); // null: none set
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [tested, setTested] = useState<TestOutcome | null>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback(
    (next: WebhookSettings | null) => {
      setHook(next);
      form.setFieldsValue({ url: next?.url ?? "" });
    },
    [form],
  );

  const reload = useCallback(() => {
    call<WebhookSettings>("GET", "/api/merchant/webhook")
      .then(show)
      .catch((err: ApiError) => {
        if (err.code === "webhook_not_set") show(null);
        else void message.error(err.message);
      });
    setDeliveries(null);
    call<{ items: Delivery[] }>("GET", "/api/merchant/webhook/deliveries", { query: { limit: 20 } })
      .then((a) => setDeliveries(a.items))
      .catch((err: Error) => {
        setDeliveries([]);
        message.error(err.message);
      });
  }, [message, show]);
  useEffect(reload, [reload]);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        form.setFields(err.errors.map((e) => ({ name: e.field as "url", errors: [e.message] })));
      }
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const save = (values: { url: string }) =>
    act(async () => {
      show(await call<WebhookSettings>("PUT", "/api/merchant/webhook", { body: { url: values.url.trim() } }));
      message.success(t("common.done"));
    });
  const rotate = () =>
    act(async () => {
      show(await call<WebhookSettings>("POST", "/api/merchant/webhook/rotate-secret"));
      message.success(t("webhook.rotated"));
    });
  const test = () =>
    act(async () => {
      setTested(await call<TestOutcome>("POST", "/api/merchant/webhook/test"));
      reload();
    });
  const remove = () =>
    act(async () => {
      await call("DELETE", "/api/merchant/webhook");
      setTested(null);
      show(null);
    });

  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <Card title={t("webhook.title")} loading={hook === undefined}>
        <Typography.Paragraph type="secondary">{t("webhook.intro")}</Typography.Paragraph>
        <Form form={form} layout="inline" onFinish={(values) => void save(values)}>
          <Form.Item
            name="url"
            label={t("webhook.url")}
            rules={[{ required: true, message: t("login.required") }]}
            style={{ flex: 1, minWidth: 320 }}
          >
            <Input placeholder="https://erp.example.com/mall-hooks" data-testid="webhook-url" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="webhook-save">
            {t("common.save")}
          </Button>
        </Form>
        {hook && (
          <Descriptions column={1} size="small" style={{ marginTop: 16 }}>
            <Descriptions.Item label={t("webhook.secret")}>
              <Typography.Text code copyable data-testid="webhook-secret">
                {hook.secret}
              </Typography.Text>
            </Descriptions.Item>
            {hook.previous_secret_until && (
              <Descriptions.Item label={t("webhook.previousUntil")}>
                <span data-testid="webhook-previous-until">{new Date(hook.previous_secret_until).toLocaleString()}</span>
              </Descriptions.Item>
            )}
          </Descriptions>
        )}
        {hook && (
          <Space wrap style={{ marginTop: 8 }}>
            <Button onClick={() => void test()} loading={busy} data-testid="webhook-test">
              {t("webhook.test")}
            </Button>
            <Popconfirm title={t("webhook.rotateConfirm")} onConfirm={() => void rotate()}>
              <Button loading={busy} data-testid="webhook-rotate">
                {t("webhook.rotate")}
              </Button>
            </Popconfirm>
            <Popconfirm title={t("webhook.removeConfirm")} onConfirm={() => void remove()}>
              <Button danger loading={busy} data-testid="webhook-remove">
                {t("webhook.remove")}
              </Button>
            </Popconfirm>
          </Space>
        )}
        {tested && (
          <Alert
            style={{ marginTop: 16 }}
            type={tested.delivered ? "success" : "error"}
            data-testid="webhook-test-result"
            message={
              tested.delivered
                ? `${t("webhook.testDelivered")} (HTTP ${tested.status})`
                : `${t("webhook.testFailed")}: ${tested.error ?? `HTTP ${tested.status}`}`
            }
          />
        )}
        <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
          {t("webhook.signatureNote")}
        </Typography.Paragraph>
      </Card>
      <Card
        title={t("webhook.deliveries")}
        extra={
          <Button icon={<ReloadOutlined />} onClick={reload}>
            {t("common.refresh")}
          </Button>
        }
      >
        <Table<Delivery>
          rowKey="delivery_id"
          size="small"
          loading={deliveries === null}
          dataSource={deliveries ?? []}
          data-testid="webhook-deliveries"
          pagination={false}
          columns={[
            { title: t("webhook.kind"), dataIndex: "kind" },
            {
              title: t("common.status"),
              dataIndex: "status",
              render: (status: string) => (
                <Tag color={STATUS_COLORS[status] ?? "default"}>
                  {status === "delivered"
                    ? t("webhook.delivered")
                    : status === "failed"
                      ? t("webhook.failed")
                      : status === "pending"
                        ? t("webhook.pending")
                        : status}
                </Tag>
              ),
            },
            { title: t("webhook.attempts"), dataIndex: "attempts" },
            {
              title: t("webhook.lastAnswer"),
              render: (_, d) => d.last_error ?? (d.last_status ? `HTTP ${d.last_status}` : "–"),
            },
            {
              title: t("webhook.at"),
              render: (_, d) => new Date(d.delivered_at ?? d.next_attempt_at).toLocaleString(),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
