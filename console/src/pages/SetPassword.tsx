/* The page a one-time link opens (#/set-password?token=…, from an operator's approval, an owner's invitation
 * or `deploy.admin create-operator`): the holder chooses a password, and the link is spent. */
import { useState } from "react";
import { Alert, Button, Card, Form, Input, Result, Space, Typography } from "antd";
import { useNavigate, useSearchParams } from "react-router-dom";
import { call } from "../api";
import { fill, useI18n } from "../i18n";
import { LanguageSwitch } from "../LanguageSwitch";

export default function SetPassword() {
  const { t, explain } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ kind: "staff" | "operator"; username: string } | null>(null);

  async function submit(values: { password: string }) {
    setBusy(true);
    setError("");
    try {
      setDone(await call("POST", "/api/set-password", { body: { token, password: values.password } }));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <Card className="login-card" data-testid="set-password-view">
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={3}>{t("setpw.title")}</Typography.Title>
          <LanguageSwitch />
        </Space>
        {done ? (
          <div data-testid="set-password-done">
          <Result
            status="success"
            title={fill(t("setpw.done"), { username: done.username })}
            extra={
              <Button type="primary" onClick={() => navigate(done.kind === "operator" ? "/platform/login" : "/login")} data-testid="set-password-sign-in">
                {t("setpw.signIn")}
              </Button>
            }
          />
          </div>
        ) : !token ? (
          <Alert type="error" showIcon message={t("setpw.noToken")} data-testid="set-password-error" />
        ) : (
          <Form layout="vertical" onFinish={submit} requiredMark={false} data-testid="set-password-form">
            <Form.Item
              name="password"
              label={t("setpw.password")}
              rules={[{ required: true, message: t("login.required") }, { min: 10, message: t("setpw.short") }, { max: 256 }]}
            >
              <Input.Password autoComplete="new-password" data-testid="new-password" />
            </Form.Item>
            <Form.Item
              name="confirm"
              label={t("setpw.confirm")}
              dependencies={["password"]}
              rules={[
                { required: true, message: t("login.required") },
                ({ getFieldValue }) => ({
                  validator: async (_, value?: string) => {
                    if (value && value !== getFieldValue("password")) throw new Error(t("setpw.mismatch"));
                  },
                }),
              ]}
            >
              <Input.Password autoComplete="new-password" data-testid="confirm-password" />
            </Form.Item>
            {error && <Alert type="error" showIcon message={error} data-testid="set-password-error" style={{ marginBottom: 16 }} />}
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="set-password-submit">
              {t("setpw.submit")}
            </Button>
          </Form>
        )}
      </Card>
    </div>
  );
}
