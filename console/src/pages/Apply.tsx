/* Anyone applies to sell in the mall (no sign-in): business name, licence number (the unified social credit
 * code), contact, and the username the first owner will sign in with. An operator decides it. */
import { useState } from "react";
import { Alert, Button, Card, Form, Input, Result, Space, Typography } from "antd";
import { Link } from "react-router-dom";
import { call } from "../api";
import { fill, useI18n } from "../i18n";
import { LanguageSwitch } from "../LanguageSwitch";
import { isValidUscc } from "../uscc";

export interface ApplicationValues {
  merchant_name: string;
  licence_no: string;
  contact_name: string;
  contact_phone: string;
  contact_email?: string;
  owner_username: string;
}

export default function Apply() {
  const { t, explain } = useI18n();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [applied, setApplied] = useState<string | null>(null);

  async function submit(values: ApplicationValues) {
    setBusy(true);
    setError("");
    try {
      const answer = await call<{ id: string }>("POST", "/api/merchant-applications", {
        body: {
          merchant_name: values.merchant_name.trim(),
          licence_no: values.licence_no.trim().toUpperCase(),
          contact_name: values.contact_name.trim(),
          contact_phone: values.contact_phone.trim(),
          contact_email: (values.contact_email ?? "").trim(),
          owner_username: values.owner_username.trim(),
        },
      });
      setApplied(answer.id);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  const required = { required: true, whitespace: true, message: t("login.required") };
  return (
    <div className="login-page">
      <Card className="login-card" style={{ width: 520 }} data-testid="apply-view">
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={3}>{t("apply.title")}</Typography.Title>
          <LanguageSwitch />
        </Space>
        {applied ? (
          <div data-testid="apply-done">
          <Result
            status="success"
            title={t("apply.done")}
            subTitle={fill(t("apply.doneText"), { id: applied })}
            extra={<Link to="/login">{t("login.merchantLink")}</Link>}
          />
          </div>
        ) : (
          <Form layout="vertical" onFinish={submit} requiredMark={false} data-testid="apply-form">
            <Form.Item name="merchant_name" label={t("apply.merchantName")} rules={[required, { max: 100 }]}>
              <Input data-testid="apply-name" />
            </Form.Item>
            <Form.Item
              name="licence_no"
              label={t("apply.licence")}
              rules={[required, {
                validator: async (_, value?: string) => {
                  if (value && !isValidUscc(value)) throw new Error(t("apply.licenceInvalid"));
                },
              }]}
            >
              <Input maxLength={18} data-testid="apply-licence" />
            </Form.Item>
            <Form.Item name="contact_name" label={t("apply.contactName")} rules={[required, { max: 50 }]}>
              <Input data-testid="apply-contact" />
            </Form.Item>
            <Form.Item name="contact_phone" label={t("apply.contactPhone")} rules={[required, { pattern: /^\+?[0-9 -]{6,20}$/ }]}>
              <Input inputMode="tel" data-testid="apply-phone" />
            </Form.Item>
            <Form.Item name="contact_email" label={t("apply.contactEmail")} rules={[{ type: "email", max: 254 }]}>
              <Input data-testid="apply-email" />
            </Form.Item>
            <Form.Item
              name="owner_username"
              label={t("apply.owner")}
              extra={t("apply.usernameRule")}
              rules={[required, { pattern: /^[A-Za-z0-9_.-]{3,32}$/, message: t("apply.usernameRule") }]}
            >
              <Input autoComplete="off" data-testid="apply-owner" />
            </Form.Item>
            {error && <Alert type="error" showIcon message={error} data-testid="apply-error" style={{ marginBottom: 16 }} />}
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="apply-submit">
              {t("apply.submit")}
            </Button>
          </Form>
        )}
      </Card>
    </div>
  );
}
