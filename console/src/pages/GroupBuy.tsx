/* Group-buying deals (拼团) on the shop's SKUs: list, create, edit (applies to groups opened afterwards),
 * end (no new groups; open ones run to their deadline). Times go out as ISO 8601 with this computer's offset. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, DatePicker, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tag } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import dayjs, { type Dayjs } from "dayjs";
import { call } from "../api";
import { fenToYuan, formatYuan, yuanToFen } from "../money";
import { useI18n } from "../i18n";
import { SkuPicker } from "../SkuPicker";

export interface Deal {
  id: string;
  sku_id: string;
  name: string;
  group_price_fen: number;
  group_size: number;
  time_limit_hours: number;
  starts_at: string;
  ends_at: string;
  status: "active" | "ended";
}

interface DealValues {
  sku_id: string;
  name?: string;
  price: string;
  group_size: number;
  time_limit_hours: number;
  period: [Dayjs, Dayjs];
}

/** The API body: yuan to fen, the times with their offset (dayjs' format() is ISO 8601 with it). */
export function dealBody(values: DealValues) {
  return {
    sku_id: values.sku_id.trim(),
    name: (values.name ?? "").trim(),
    group_price_fen: yuanToFen(values.price),
    group_size: values.group_size,
    time_limit_hours: values.time_limit_hours,
    starts_at: values.period[0].format(),
    ends_at: values.period[1].format(),
  };
}

const when = (at: string) => dayjs(at).format("YYYY-MM-DD HH:mm");

export default function GroupBuy() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [deals, setDeals] = useState<Deal[] | null>(null);
  const [editing, setEditing] = useState<Deal | "new" | null>(null);
  const [form] = Form.useForm<DealValues>();

  const reload = useCallback(() => {
    call<{ items: Deal[] }>("GET", "/api/merchant/group-buy/deals")
      .then((a) => setDeals(a.items))
      .catch((err) => { setDeals([]); message.error(explain(err)); });
  }, [message, explain]);
  useEffect(reload, [reload]);

  async function save() {
    const values = await form.validateFields().catch(() => null); // the form shows what is missing
    if (!values) return;
    let body;
    try {
      body = dealBody(values);
    } catch {
      form.setFields([{ name: "price", errors: [t("eng.groupPrice")] }]);
      return;
    }
    try {
      if (editing === "new") {
        await call("POST", "/api/merchant/group-buy/deals", { body, idempotent: true });
      } else if (editing) {
        await call("PATCH", `/api/merchant/group-buy/deals/${encodeURIComponent(editing.id)}`, { body });
      }
      message.success(t("common.done"));
      setEditing(null);
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  async function end(deal: Deal) {
    try {
      await call("DELETE", `/api/merchant/group-buy/deals/${encodeURIComponent(deal.id)}`);
      message.success(t("common.done"));
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  const initial = editing && editing !== "new"
    ? {
      sku_id: editing.sku_id, name: editing.name, price: fenToYuan(editing.group_price_fen), group_size: editing.group_size,
      time_limit_hours: editing.time_limit_hours, period: [dayjs(editing.starts_at), dayjs(editing.ends_at)],
    }
    : { group_size: 2, time_limit_hours: 24, period: [dayjs().startOf("minute"), dayjs().add(7, "day").startOf("minute")] };

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} data-testid="deal-new">{t("eng.newDeal")}</Button>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      <Table<Deal>
        rowKey="id"
        size="small"
        loading={deals === null}
        dataSource={deals ?? []}
        data-testid="deals"
        columns={[
          { title: t("eng.dealName"), dataIndex: "name" },
          { title: t("eng.sku"), dataIndex: "sku_id" },
          { title: t("eng.groupPrice"), dataIndex: "group_price_fen", render: (fen: number) => formatYuan(fen) },
          { title: t("eng.groupSize"), dataIndex: "group_size" },
          { title: t("eng.timeLimit"), dataIndex: "time_limit_hours" },
          { title: t("eng.schedule"), key: "period", render: (_, d) => `${when(d.starts_at)} – ${when(d.ends_at)}` },
          {
            title: t("eng.status"), dataIndex: "status",
            render: (status: Deal["status"], d) => (
              <Tag color={status === "active" ? "green" : "default"} data-testid={`deal-status-${d.id}`}>
                {status === "active" ? t("eng.active") : t("eng.ended")}
              </Tag>
            ),
          },
          {
            title: t("common.actions"), key: "actions",
            render: (_, d) => d.status === "active" && (
              <Space>
                <Button size="small" onClick={() => setEditing(d)} data-testid={`deal-edit-${d.id}`}>{t("common.edit")}</Button>
                <Popconfirm title={t("eng.endConfirm")} onConfirm={() => void end(d)}>
                  <Button size="small" danger data-testid={`deal-end-${d.id}`}>{t("eng.end")}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === "new" ? t("eng.newDeal") : t("eng.editDeal")}
        onOk={() => void save()}
        onCancel={() => setEditing(null)}
        okButtonProps={{ "data-testid": "deal-submit" } as Record<`data-${string}`, string>}
        destroyOnClose
      >
        <Form form={form} layout="vertical" preserve={false} initialValues={initial}>
          <Form.Item name="sku_id" label={t("eng.sku")} rules={[{ required: true }]}>
            <SkuPicker testId="deal-sku" disabled={editing !== "new"} />
          </Form.Item>
          <Form.Item name="name" label={t("eng.dealName")} rules={[{ max: 60 }]}>
            <Input data-testid="deal-name" />
          </Form.Item>
          <Form.Item name="price" label={t("eng.groupPrice")} rules={[{ required: true, pattern: /^\d{1,9}(\.\d{1,2})?$/ }]}>
            <Input data-testid="deal-price" prefix="¥" />
          </Form.Item>
          <Space>
            <Form.Item name="group_size" label={t("eng.groupSize")} rules={[{ required: true }]}>
              <InputNumber min={2} max={100} precision={0} data-testid="deal-size" />
            </Form.Item>
            <Form.Item name="time_limit_hours" label={t("eng.timeLimit")} rules={[{ required: true }]}>
              <InputNumber min={1} max={720} precision={0} data-testid="deal-hours" />
            </Form.Item>
          </Space>
          <Form.Item name="period" label={t("eng.schedule")} rules={[{ required: true }]} extra={t("eng.timeZone")}>
            <DatePicker.RangePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" data-testid="deal-period" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
