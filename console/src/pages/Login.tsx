import { Form, Input, Space } from "antd";
import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { Link } from "react-router-dom";
import { operatorSignIn, signIn } from "../api";
import { useI18n } from "../i18n";
import { PasswordCard, PasswordForm } from "../PasswordForm";

interface Props {
  onSignedIn: () => void;
  /** A platform operator's sign-in (POST /api/platform/session) rather than a merchant staff member's. */
  operator?: boolean;
}

export function LoginPage({ onSignedIn, operator = false }: Props) {
  const { t } = useI18n();

  async function submit(values: { username: string; password: string }) {
    await (operator ? operatorSignIn : signIn)(values.username, values.password);
    onSignedIn();
  }

  return (
    <PasswordCard title={t(operator ? "login.operatorTitle" : "login.title")} testId="login-view">
      <PasswordForm onSubmit={submit} submitLabel={t("login.submit")} testId="login">
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
      </PasswordForm>
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
    </PasswordCard>
  );
}
