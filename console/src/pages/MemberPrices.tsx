/* Member prices: per member level, on a SKU or a whole category, a percent off or a fixed price (typed in
 * yuan, sent in fen). One rule per target and level: saving the same target and level again replaces it. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, Form, Input, InputNumber, Modal, Popconfirm, Radio, Space, Table } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import { call } from "../api";
import { CategoryPicker } from "../CategoryPicker";
import { fill, useI18n } from "../i18n";
import { SkuPicker } from "../SkuPicker";
import { formatYuan, yuanToFen } from "../money";

export interface MemberPrice {
  id: string;
  sku_id: string | null;
  category_id: string | null;
  level: number;
  percent_off: number | null;
  price_fen: number | null;
  updated_at: string;
}

interface RuleValues {
  target: "sku" | "category";
  sku_id?: string;
  category_id?: string;
  level: number;
  kind: "percent" | "price";
  percent_off?: number;
  price?: string;
}

export function ruleBody(v: RuleValues) {
  return {
    ...(v.target === "sku" ? { sku_id: (v.sku_id ?? "").trim() } : { category_id: v.category_id }),
    level: v.level,
    ...(v.kind === "percent" ? { percent_off: v.percent_off } : { price_fen: yuanToFen(v.price ?? "") }),
  };
}

export default function MemberPrices() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [rules, setRules] = useState<MemberPrice[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm<RuleValues>();
  const target = Form.useWatch("target", form);
  const kind = Form.useWatch("kind", form);

  const reload = useCallback(() => {
    call<{ items: MemberPrice[] }>("GET", "/api/merchant/member-prices")
      .then((a) => setRules(a.items))
      .catch((err) => { setRules([]); message.error(explain(err)); });
  }, [message, explain]);
  useEffect(reload, [reload]);

  async function save() {
    const values = await form.validateFields().catch(() => null); // the form shows what is missing
    if (!values) return;
    try {
      await call("PUT", "/api/merchant/member-prices", { body: ruleBody(values) });
      message.success(t("common.done"));
      setAdding(false);
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  async function remove(rule: MemberPrice) {
    try {
      await call("DELETE", `/api/merchant/member-prices/${encodeURIComponent(rule.id)}`);
      message.success(t("common.done"));
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="rule-new">{t("eng.newRule")}</Button>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      <Table<MemberPrice>
        rowKey="id"
        size="small"
        loading={rules === null}
        dataSource={rules ?? []}
        data-testid="member-prices"
        columns={[
          {
            title: t("eng.target"), key: "target",
            render: (_, r) => (r.sku_id ? `${t("eng.targetSku")} ${r.sku_id}` : `${t("eng.targetCategory")} ${r.category_id}`),
          },
          { title: t("eng.level"), dataIndex: "level" },
          {
            title: t("eng.rule"), key: "rule",
            render: (_, r) => (
              <span data-testid={`rule-${r.id}`}>
                {r.percent_off !== null ? fill(t("eng.percentOffValue"), { n: String(r.percent_off) }) : formatYuan(r.price_fen)}
              </span>
            ),
          },
          { title: t("eng.updatedAt"), dataIndex: "updated_at", render: (at: string) => new Date(at).toLocaleString() },
          {
            title: t("common.actions"), key: "actions",
            render: (_, r) => (
              <Popconfirm title={t("eng.delete")} onConfirm={() => void remove(r)}>
                <Button size="small" danger data-testid={`rule-delete-${r.id}`}>{t("eng.delete")}</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Modal
        open={adding}
        title={t("eng.newRule")}
        onOk={() => void save()}
        onCancel={() => setAdding(false)}
        okButtonProps={{ "data-testid": "rule-submit" } as Record<`data-${string}`, string>}
        destroyOnClose
      >
        <Form form={form} layout="vertical" preserve={false} initialValues={{ target: "sku", kind: "percent", level: 2 }}>
          <Form.Item name="target" label={t("eng.target")}>
            <Radio.Group data-testid="rule-target" options={[
              { value: "sku", label: t("eng.targetSku") },
              { value: "category", label: t("eng.targetCategory") },
            ]} />
          </Form.Item>
          {target === "category"
            ? (
              <Form.Item name="category_id" label={t("eng.targetCategory")} rules={[{ required: true }]}>
                <CategoryPicker testId="rule-category" />
              </Form.Item>
            )
            : (
              <Form.Item name="sku_id" label={t("eng.sku")} rules={[{ required: true }]}>
                <SkuPicker testId="rule-sku" />
              </Form.Item>
            )}
          <Form.Item name="level" label={t("eng.level")} rules={[{ required: true }]}>
            <InputNumber min={2} max={100} precision={0} data-testid="rule-level" />
          </Form.Item>
          <Form.Item name="kind" label={t("eng.kind")}>
            <Radio.Group data-testid="rule-kind" options={[
              { value: "percent", label: t("eng.percentOff") },
              { value: "price", label: t("eng.fixedPrice") },
            ]} />
          </Form.Item>
          {kind === "price"
            ? (
              <Form.Item name="price" label={t("eng.fixedPrice")} rules={[{ required: true, pattern: /^\d{1,9}(\.\d{1,2})?$/ }]}>
                <Input prefix="¥" data-testid="rule-price" />
              </Form.Item>
            )
            : (
              <Form.Item name="percent_off" label={t("eng.percentOff")} rules={[{ required: true }]}>
                <InputNumber min={1} max={99} precision={0} addonAfter="%" data-testid="rule-percent" />
              </Form.Item>
            )}
        </Form>
      </Modal>
    </>
  );
}
