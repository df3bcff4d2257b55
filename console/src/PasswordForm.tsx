/* The sign-in page and the set-password page are one shape: a card with its title and the language switch,
 * and a form whose submit is busy while it runs and shows the refusal above its button. */
import { useState, type ReactNode } from "react";
import { Alert, Button, Card, Form, Space, Typography } from "antd";
import { useI18n } from "./i18n";
import { LanguageSwitch } from "./LanguageSwitch";

export function PasswordCard({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <div className="login-page">
      <Card className="login-card" data-testid={testId}>
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={3}>{title}</Typography.Title>
          <LanguageSwitch />
        </Space>
        {children}
      </Card>
    </div>
  );
}

/** `testId` names the form (`-form`), its error (`-error`) and its button (`-submit`). */
export function PasswordForm<V>({ onSubmit, submitLabel, testId, children }: {
  onSubmit: (values: V) => Promise<void>;
  submitLabel: string;
  testId: string;
  children: ReactNode;
}) {
  const { explain } = useI18n();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(values: V) {
    setBusy(true);
    setError("");
    try {
      await onSubmit(values);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Form<V> layout="vertical" onFinish={submit} requiredMark={false} data-testid={`${testId}-form`}>
      {children}
      {error && <Alert type="error" showIcon message={error} data-testid={`${testId}-error`} style={{ marginBottom: 16 }} />}
      <Button type="primary" htmlType="submit" block loading={busy} data-testid={`${testId}-submit`}>
        {submitLabel}
      </Button>
    </Form>
  );
}
