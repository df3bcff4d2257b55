/* The page a one-time link opens (#/set-password?token=…, from an operator's approval, an owner's invitation
 * or `deploy.admin create-operator`): the holder chooses a password, and the link is spent. */
import { useState } from "react";
import { Alert, Button, Form, Input, Result } from "antd";
import { useNavigate, useSearchParams } from "react-router-dom";
import { call } from "../api";
import { fill, useI18n } from "../i18n";
import { PasswordCard, PasswordForm } from "../PasswordForm";

export default function SetPassword() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [done, setDone] = useState<{ kind: "staff" | "operator"; username: string } | null>(null);

  async function submit(values: { password: string }) {
    setDone(await call("POST", "/api/set-password", { body: { token, password: values.password } }));
  }

  return (
    <PasswordCard title={t("setpw.title")} testId="set-password-view">
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
        <PasswordForm onSubmit={submit} submitLabel={t("setpw.submit")} testId="set-password">
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
        </PasswordForm>
      )}
    </PasswordCard>
  );
}
