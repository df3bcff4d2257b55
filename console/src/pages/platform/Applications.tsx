/* The platform operator decides merchant applications: approving makes the merchant and its first owner and
 * answers the owner's one-time set-password link (shown once, to hand on); rejecting needs a reason. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, Segmented, Space, Table, Tag } from "antd";
import { ReloadOutlined } from "@ant-design/icons";
import { call } from "../../api";
import { useI18n } from "../../i18n";
import { PasswordLinkModal, type PasswordLink } from "../../PasswordLink";
import { shopTime } from "../../shopDay";
import { useRowActions } from "./RowActions";

type Status = "pending" | "approved" | "rejected";

export interface Application {
  id: string;
  merchant_name: string;
  licence_no: string;
  contact_name: string;
  contact_phone: string;
  contact_email: string;
  owner_username: string;
  status: Status;
  reason: string;
  merchant_id: string | null;
  created_at: string;
}

const COLORS: Record<Status, string> = { pending: "gold", approved: "green", rejected: "default" };

export default function Applications() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<Status>("pending");
  const [rows, setRows] = useState<Application[] | null>(null);
  const [link, setLink] = useState<PasswordLink | null>(null);

  const reload = useCallback(() => {
    setRows(null);
    call<{ items: Application[] }>("GET", "/api/platform/applications", { query: { status, limit: 200 } })
      .then((a) => setRows(a.items))
      .catch((err) => { setRows([]); message.error(explain(err)); });
  }, [status, message, explain]);

  useEffect(reload, [reload]);

  const actions = useRowActions<Application>((row) => (row.status !== "pending" ? [] : [
    {
      name: "approve", label: t("plat.approve"), look: "primary",
      run: async (r) => {
        const answer = await call<{ set_password_url: string; expires_at: string }>(
          "POST", `/api/platform/applications/${encodeURIComponent(r.id)}/approve`);
        setLink({ username: r.owner_username, ...answer });
      },
    },
    {
      name: "reject", label: t("plat.reject"), look: "danger", withReason: true,
      run: (r, reason) => call("POST", `/api/platform/applications/${encodeURIComponent(r.id)}/reject`, { body: { reason } }).then(() => {}),
    },
  ]), (row) => row.id, reload);

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Segmented<Status>
          value={status}
          onChange={setStatus}
          options={(["pending", "approved", "rejected"] as const).map((s) => ({ value: s, label: t(`plat.${s}`) }))}
          data-testid="applications-status"
        />
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      <Table<Application>
        rowKey="id"
        loading={rows === null}
        dataSource={rows ?? []}
        data-testid="applications-table"
        columns={[
          { title: t("apply.merchantName"), dataIndex: "merchant_name" },
          { title: t("plat.licence"), dataIndex: "licence_no" },
          { title: t("plat.contact"), render: (_, r) => `${r.contact_name} ${r.contact_phone} ${r.contact_email}` },
          { title: t("plat.owner"), dataIndex: "owner_username" },
          { title: t("plat.appliedAt"), dataIndex: "created_at", render: (at: string) => shopTime(at) },
          {
            title: t("plat.status"),
            dataIndex: "status",
            render: (s: Status, r) => <Tag color={COLORS[s]}>{t(`plat.${s}`)}{r.reason ? ` · ${r.reason}` : ""}</Tag>,
          },
          { title: t("common.actions"), render: (_, r) => actions.cell(r) },
        ]}
      />
      {actions.modal}
      <PasswordLinkModal link={link} onClose={() => setLink(null)} />
    </>
  );
}
