/* The platform's merchants: suspend one (its staff are refused at once, its products leave search) with a
 * reason, and reinstate it. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, Segmented, Space, Table, Tag } from "antd";
import { ReloadOutlined } from "@ant-design/icons";
import { call } from "../../api";
import { useI18n } from "../../i18n";
import { shopTime } from "../../shopDay";
import { useRowActions } from "./RowActions";

export interface PlatformMerchant {
  merchant_id: string;
  merchant_name: string | null;
  licence_no: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  approved_at: string | null;
  active_staff: number;
  suspended: boolean;
  suspension: null | { reason: string; by: string; at: string };
}

type Filter = "all" | "suspended" | "operating";

export default function Merchants() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [filter, setFilter] = useState<Filter>("all");
  const [rows, setRows] = useState<PlatformMerchant[] | null>(null);

  const reload = useCallback(() => {
    setRows(null);
    const suspended = filter === "all" ? undefined : String(filter === "suspended");
    call<{ items: PlatformMerchant[] }>("GET", "/api/platform/merchants", { query: { suspended, limit: 500 } })
      .then((a) => setRows(a.items))
      .catch((err) => { setRows([]); message.error(explain(err)); });
  }, [filter, message, explain]);

  useEffect(reload, [reload]);

  const act = (action: "suspend" | "reinstate") => (merchant: PlatformMerchant, reason?: string) =>
    call("POST", `/api/platform/merchants/${encodeURIComponent(merchant.merchant_id)}/${action}`,
      { body: reason === undefined ? undefined : { reason } }).then(() => {});
  const actions = useRowActions<PlatformMerchant>((m) => [m.suspended
    ? { name: "reinstate", label: t("plat.reinstate"), run: act("reinstate") }
    : { name: "suspend", label: t("plat.suspend"), look: "danger", withReason: true, run: act("suspend") },
  ], (m) => m.merchant_id, reload);

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Segmented<Filter>
          value={filter}
          onChange={setFilter}
          options={[
            { value: "all", label: t("common.all") },
            { value: "operating", label: t("plat.operating") },
            { value: "suspended", label: t("plat.suspended") },
          ]}
        />
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      <Table<PlatformMerchant>
        rowKey="merchant_id"
        loading={rows === null}
        dataSource={rows ?? []}
        data-testid="merchants-table"
        columns={[
          { title: t("plat.merchantId"), dataIndex: "merchant_id" },
          { title: t("apply.merchantName"), dataIndex: "merchant_name", render: (name: string | null) => name ?? "–" },
          { title: t("plat.licence"), dataIndex: "licence_no", render: (no: string | null) => no ?? "–" },
          { title: t("plat.contact"), render: (_, m) => (m.contact_name ? `${m.contact_name} ${m.contact_phone ?? ""}` : "–") },
          { title: t("plat.staff"), dataIndex: "active_staff" },
          {
            title: t("plat.status"),
            render: (_, m) => m.suspension ? (
              <Tag color="red" data-testid={`merchant-status-${m.merchant_id}`}>
                {`${t("plat.suspended")} · ${m.suspension.reason} · ${m.suspension.by} · ${shopTime(m.suspension.at)}`}
              </Tag>
            ) : (
              <Tag color="green" data-testid={`merchant-status-${m.merchant_id}`}>{t("plat.operating")}</Tag>
            ),
          },
          { title: t("common.actions"), render: (_, m) => actions.cell(m) },
        ]}
      />
      {actions.modal}
    </>
  );
}
