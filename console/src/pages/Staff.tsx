/* The shop's people (owners only; the gateway refuses anyone else with `role_forbidden`): invite with a role
 * and a one-time set-password link, change a role, deactivate at once (their tokens are refused from their
 * next request), and a new link for a lost invitation or a forgotten password. */
import { useCallback, useEffect, useState } from "react";
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import { call, type Role } from "../api";
import { useI18n } from "../i18n";
import { PasswordLinkModal, type PasswordLink } from "../PasswordLink";
import { shopTime } from "../shopDay";

export interface StaffMember {
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  created_at: string;
}

interface LinkAnswer {
  set_password_url: string;
  expires_at: string;
}

const ROLES: Role[] = ["owner", "manager", "clerk"];

export default function Staff() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [staff, setStaff] = useState<StaffMember[] | null>(null);
  const [refused, setRefused] = useState("");
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<PasswordLink | null>(null);

  const reload = useCallback(() => {
    setStaff(null);
    call<{ items: StaffMember[] }>("GET", "/api/merchant/staff")
      .then((a) => { setStaff(a.items); setRefused(""); })
      .catch((err) => { setStaff([]); setRefused(explain(err)); });
  }, [explain]);

  useEffect(reload, [reload]);

  async function change(member: StaffMember, body: { role?: Role; active?: boolean }) {
    try {
      const changed = await call<StaffMember>("PATCH", `/api/merchant/staff/${encodeURIComponent(member.username)}`, { body });
      setStaff((rows) => (rows ?? []).map((row) => (row.username === changed.username ? changed : row)));
      message.success(t("common.done"));
    } catch (err) {
      message.error(explain(err));
    }
  }

  async function newLink(member: StaffMember) {
    try {
      const answer = await call<LinkAnswer>("POST", `/api/merchant/staff/${encodeURIComponent(member.username)}/password-link`);
      setLink({ username: member.username, ...answer });
    } catch (err) {
      message.error(explain(err));
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setInviting(true)} data-testid="staff-invite">
          {t("staff.invite")}
        </Button>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      {refused && <Alert type="error" showIcon message={refused} data-testid="staff-error" style={{ marginBottom: 16 }} />}
      <Table<StaffMember>
        rowKey="username"
        loading={staff === null}
        dataSource={staff ?? []}
        pagination={false}
        data-testid="staff-table"
        columns={[
          { title: t("staff.username"), dataIndex: "username" },
          { title: t("staff.displayName"), dataIndex: "display_name" },
          {
            title: t("staff.role"),
            dataIndex: "role",
            render: (role: Role, member) => (
              <Select<Role>
                value={role}
                style={{ width: 110 }}
                onChange={(next) => void change(member, { role: next })}
                options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as const) }))}
                data-testid={`staff-role-${member.username}`}
              />
            ),
          },
          {
            title: t("staff.active"),
            dataIndex: "active",
            render: (active: boolean, member) => (
              <Tag color={active ? "green" : "default"} data-testid={`staff-active-${member.username}`}>
                {t(active ? "staff.activeYes" : "staff.activeNo")}
              </Tag>
            ),
          },
          { title: t("staff.createdAt"), dataIndex: "created_at", render: (at: string) => shopTime(at) },
          {
            title: t("common.actions"),
            render: (_, member) => (
              <Space>
                {member.active ? (
                  <Popconfirm title={t("staff.deactivate")} onConfirm={() => change(member, { active: false })}>
                    <Button size="small" danger data-testid={`staff-deactivate-${member.username}`}>{t("staff.deactivate")}</Button>
                  </Popconfirm>
                ) : (
                  <Button size="small" onClick={() => void change(member, { active: true })} data-testid={`staff-activate-${member.username}`}>
                    {t("staff.activate")}
                  </Button>
                )}
                <Button size="small" onClick={() => void newLink(member)} data-testid={`staff-link-${member.username}`}>
                  {t("staff.link")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <InviteModal
        open={inviting}
        onClose={() => setInviting(false)}
        onInvited={(member, answer) => {
          setInviting(false);
          setStaff((rows) => [...(rows ?? []), member]);
          setLink({ username: member.username, ...answer });
        }}
      />
      <PasswordLinkModal link={link} onClose={() => setLink(null)} />
    </>
  );
}

function InviteModal({ open, onClose, onInvited }: {
  open: boolean;
  onClose: () => void;
  onInvited: (member: StaffMember, link: LinkAnswer) => void;
}) {
  const { t, explain } = useI18n();
  const [form] = Form.useForm<{ username: string; display_name?: string; role: Role }>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function invite(values: { username: string; display_name?: string; role: Role }) {
    setBusy(true);
    setError("");
    try {
      const answer = await call<{ staff: StaffMember } & LinkAnswer>("POST", "/api/merchant/staff", {
        body: { username: values.username.trim(), display_name: (values.display_name ?? "").trim(), role: values.role },
      });
      form.resetFields();
      onInvited(answer.staff, answer);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open={open} title={t("staff.invite")} onCancel={onClose} onOk={() => form.submit()} confirmLoading={busy} destroyOnClose
      okButtonProps={{ "data-testid": "invite-submit" } as Record<`data-${string}`, string>}>
      <Form form={form} layout="vertical" onFinish={invite} initialValues={{ role: "clerk" }} data-testid="invite-form">
        <Form.Item name="username" label={t("staff.username")} extra={t("apply.usernameRule")}
          rules={[{ required: true, message: t("login.required") }, { pattern: /^[A-Za-z0-9_.-]{3,32}$/, message: t("apply.usernameRule") }]}>
          <Input autoComplete="off" data-testid="invite-username" />
        </Form.Item>
        <Form.Item name="display_name" label={t("staff.displayName")} rules={[{ max: 50 }]}>
          <Input data-testid="invite-name" />
        </Form.Item>
        <Form.Item name="role" label={t("staff.role")} rules={[{ required: true }]}>
          <Select options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as const) }))} data-testid="invite-role" />
        </Form.Item>
        {error && <Alert type="error" showIcon message={error} data-testid="invite-error" />}
      </Form>
    </Modal>
  );
}
