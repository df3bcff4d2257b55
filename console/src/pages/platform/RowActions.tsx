/* The operator's row actions (approve or reject an application, suspend or reinstate a merchant), one shape:
 * an action runs at once, or first asks for a reason; a refusal is shown, success reloads the list. */
import { useState, type ReactNode } from "react";
import { App, Button, Form, Input, Modal, Space } from "antd";
import { useI18n } from "../../i18n";

export interface RowAction<T> {
  /** Also the button's test id prefix: `${name}-${row id}`. */
  name: string;
  label: string;
  look?: "primary" | "danger";
  /** Ask for a reason (the API wants one, up to 500 characters) before running. */
  withReason?: boolean;
  run: (row: T, reason?: string) => Promise<void>;
}

/** `actions(row)` gives the row's buttons; `cell(row)` draws them, `modal` is the reason dialog to place once. */
export function useRowActions<T>(actions: (row: T) => RowAction<T>[], idOf: (row: T) => string, onDone: () => void) {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [asking, setAsking] = useState<{ row: T; action: RowAction<T> } | null>(null);

  async function run(row: T, action: RowAction<T>, reason?: string) {
    try {
      await action.run(row, reason);
      setAsking(null);
      message.success(t("common.done"));
      onDone();
    } catch (err) {
      message.error(explain(err));
    }
  }

  const cell = (row: T): ReactNode => {
    const buttons = actions(row);
    return buttons.length > 0 && (
      <Space>
        {buttons.map((action) => (
          <Button
            key={action.name}
            size="small"
            type={action.look === "primary" ? "primary" : "default"}
            danger={action.look === "danger"}
            onClick={() => (action.withReason ? setAsking({ row, action }) : void run(row, action))}
            data-testid={`${action.name}-${idOf(row)}`}
          >
            {action.label}
          </Button>
        ))}
      </Space>
    );
  };
  const modal = (
    <ReasonModal
      open={asking !== null}
      title={asking?.action.label ?? ""}
      onCancel={() => setAsking(null)}
      onOk={(reason) => (asking ? run(asking.row, asking.action, reason) : Promise.resolve())}
    />
  );
  return { cell, modal };
}

function ReasonModal({ open, title, onCancel, onOk }: {
  open: boolean;
  title: string;
  onCancel: () => void;
  onOk: (reason: string) => Promise<void>;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  return (
    <Modal open={open} title={title} onCancel={onCancel} onOk={() => form.submit()} destroyOnClose>
      <Form form={form} layout="vertical" onFinish={(v) => onOk(v.reason.trim())} data-testid="reason-form">
        <Form.Item name="reason" label={t("plat.reason")} rules={[{ required: true, whitespace: true, message: t("login.required") }, { max: 500 }]}>
          <Input.TextArea rows={3} data-testid="reason-input" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
