import { useState } from "react";
import { Alert, Button, Card, Form, Input, Segmented, Space, Typography } from "antd";
import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { signIn } from "../api";
import { useI18n, type Lang } from "../i18n";

interface Props {
  onSignedIn: () => void;
}

export function LoginPage({ onSignedIn }: Props) {
  const { t, lang, setLang } = useI18n();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    setError("");
    try {
      await signIn(values.username, values.password);
      onSignedIn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <Card className="login-card" data-testid="login-view">
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={3}>{t("login.title")}</Typography.Title>
          <Segmented
            size="small"
            value={lang}
            options={[
              { label: "中文", value: "zh" },
              { label: "EN", value: "en" },
            ]}
            onChange={(value) => setLang(value as Lang)}
          />
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
      </Card>
    </div>
  );
}
