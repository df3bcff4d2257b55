import { useState } from "react";
import { Alert, Button, Card, Form, Input, Space, Typography } from "antd";
import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { Link } from "react-router-dom";
import { operatorSignIn, signIn } from "../api";
import { useI18n } from "../i18n";
import { LanguageSwitch } from "../LanguageSwitch";

interface Props {
  onSignedIn: () => void;
  /** A platform operator's sign-in (POST /api/platform/session) rather than a merchant staff member's. */
  operator?: boolean;
}

export function LoginPage({ onSignedIn, operator = false }: Props) {
  const { t, explain } = useI18n();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    setError("");
    try {
      await (operator ? operatorSignIn : signIn)(values.username, values.password);
      onSignedIn();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <Card className="login-card" data-testid="login-view">
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={3}>{t(operator ? "login.operatorTitle" : "login.title")}</Typography.Title>
          <LanguageSwitch />
        </Space>
        <Form layout="vertical" onFinish={submit} data-testid="login-form" requiredMark={false}>
          <Form.Item
            name="username"
            label={t("login.username")}
            rules={[{ required: true, message: t("login.required") }, { max: 64 }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" data-testid="username" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t("login.password")}
            rules={[{ required: true, message: t("login.required") }, { max: 128 }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="password" />
          </Form.Item>
          {error && <Alert type="error" showIcon message={error} data-testid="login-error" style={{ marginBottom: 16 }} />}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
            {t("login.submit")}
          </Button>
        </Form>
        <Space style={{ marginTop: 16, width: "100%", justifyContent: "space-between" }}>
          {operator ? (
            <Link to="/login">{t("login.merchantLink")}</Link>
          ) : (
            <>
              <Link to="/apply" data-testid="apply-link">{t("login.applyLink")}</Link>
              <Link to="/platform/login" data-testid="operator-link">{t("login.operatorLink")}</Link>
            </>
          )}
        </Space>
      </Card>
    </div>
  );
}
