/* Home content: banners (open a product, category, campaign or page) and featured collections (up to 20
 * products), each shown from starts_at until ends_at (or for good). The merchant keeps its shop's; the
 * platform operator the mall's (any merchant's products), and the curated hot words. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Popconfirm, Radio, Select, Space, Table, Tag } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import dayjs, { type Dayjs } from "dayjs";
import { call } from "../api";
import { CategoryPicker } from "../CategoryPicker";
import { useI18n } from "../i18n";

type TargetKind = "product" | "category" | "campaign" | "page";

export interface HomeItem {
  id: string;
  kind: "banner" | "collection";
  title: string;
  image: string;
  target_kind: TargetKind | null;
  target: string | null;
  product_ids: string[];
  position: number;
  starts_at: string;
  ends_at: string | null;
}

interface ItemValues {
  kind: HomeItem["kind"];
  title: string;
  image?: string;
  target_kind?: TargetKind;
  target?: string;
  products?: string;
  position?: number;
  starts_at: Dayjs;
  ends_at?: Dayjs | null;
}

/** The API body: a banner's target or a collection's products; times ISO 8601 with their offset. */
export function itemBody(v: ItemValues) {
  const banner = v.kind === "banner";
  return {
    kind: v.kind,
    title: v.title.trim(),
    image: (v.image ?? "").trim(),
    target_kind: banner ? v.target_kind ?? null : null,
    target: banner ? (v.target ?? "").trim() || null : null,
    product_ids: banner ? [] : (v.products ?? "").split(/[\s,，]+/).filter(Boolean),
    position: v.position ?? 0,
    starts_at: v.starts_at.format(),
    ends_at: v.ends_at ? v.ends_at.format() : null,
  };
}

const when = (at: string | null, none: string) => (at ? dayjs(at).format("YYYY-MM-DD HH:mm") : none);

export default function HomeContent({ platform = false }: { platform?: boolean }) {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const base = platform ? "/api/platform/home-items" : "/api/merchant/home-items";
  const [items, setItems] = useState<HomeItem[] | null>(null);
  const [editing, setEditing] = useState<HomeItem | "new" | null>(null);
  const [form] = Form.useForm<ItemValues>();
  const kind = Form.useWatch("kind", form);
  const targetKind = Form.useWatch("target_kind", form);

  const reload = useCallback(() => {
    call<{ items: HomeItem[] }>("GET", base)
      .then((a) => setItems(a.items))
      .catch((err) => { setItems([]); message.error(explain(err)); });
  }, [base, message, explain]);
  useEffect(reload, [reload]);

  async function save() {
    const values = await form.validateFields().catch(() => null); // the form shows what is missing
    if (!values) return;
    const body = itemBody(values);
    try {
      if (editing === "new") await call("POST", base, { body, idempotent: true });
      else if (editing) await call("PUT", `${base}/${encodeURIComponent(editing.id)}`, { body });
      message.success(t("common.done"));
      setEditing(null);
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  async function remove(item: HomeItem) {
    try {
      await call("DELETE", `${base}/${encodeURIComponent(item.id)}`);
      message.success(t("common.done"));
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  const targetLabel: Record<TargetKind, string> = {
    product: t("eng.targetProduct"), category: t("eng.targetCategory"), campaign: t("eng.targetCampaign"), page: t("eng.targetPage"),
  };
  const initial = editing && editing !== "new"
    ? {
      ...editing, target_kind: editing.target_kind ?? undefined, target: editing.target ?? undefined,
      products: editing.product_ids.join("\n"), starts_at: dayjs(editing.starts_at),
      ends_at: editing.ends_at ? dayjs(editing.ends_at) : null,
    }
    : { kind: "banner", target_kind: "product", position: 0, starts_at: dayjs().startOf("minute") };

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} data-testid="home-new">{t("eng.newItem")}</Button>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      <Table<HomeItem>
        rowKey="id"
        size="small"
        loading={items === null}
        dataSource={items ?? []}
        data-testid="home-items"
        columns={[
          { title: t("eng.itemKind"), dataIndex: "kind", render: (k: HomeItem["kind"]) => <Tag>{k === "banner" ? t("eng.banner") : t("eng.collection")}</Tag> },
          { title: t("eng.title"), dataIndex: "title" },
          {
            title: t("eng.targetValue"), key: "target",
            render: (_, i) => (i.kind === "banner" && i.target_kind ? `${targetLabel[i.target_kind]}: ${i.target}` : i.product_ids.join(", ")),
          },
          { title: t("eng.position"), dataIndex: "position" },
          { title: t("eng.schedule"), key: "when", render: (_, i) => `${when(i.starts_at, "")} – ${when(i.ends_at, t("eng.noEnd"))}` },
          {
            title: t("common.actions"), key: "actions",
            render: (_, i) => (
              <Space>
                <Button size="small" onClick={() => setEditing(i)} data-testid={`home-edit-${i.id}`}>{t("common.edit")}</Button>
                <Popconfirm title={t("eng.delete")} onConfirm={() => void remove(i)}>
                  <Button size="small" danger data-testid={`home-delete-${i.id}`}>{t("eng.delete")}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === "new" ? t("eng.newItem") : t("eng.editItem")}
        onOk={() => void save()}
        onCancel={() => setEditing(null)}
        okButtonProps={{ "data-testid": "home-submit" } as Record<`data-${string}`, string>}
        destroyOnClose
      >
        <Form form={form} layout="vertical" preserve={false} initialValues={initial}>
          <Form.Item name="kind" label={t("eng.itemKind")}>
            <Radio.Group data-testid="home-kind" options={[
              { value: "banner", label: t("eng.banner") },
              { value: "collection", label: t("eng.collection") },
            ]} />
          </Form.Item>
          <Form.Item name="title" label={t("eng.title")} rules={[{ required: true, whitespace: true, max: 60 }]}>
            <Input data-testid="home-title" />
          </Form.Item>
          <Form.Item name="image" label={t("eng.image")} rules={[{ max: 500 }]}>
            <Input data-testid="home-image" placeholder="https://…" />
          </Form.Item>
          {kind === "collection"
            ? (
              <Form.Item name="products" label={t("eng.productIds")} rules={[{ required: true, whitespace: true }]}>
                <Input.TextArea rows={4} data-testid="home-products" />
              </Form.Item>
            )
            : (
              <Space align="start">
                <Form.Item name="target_kind" label={t("eng.targetKind")} rules={[{ required: true }]}>
                  <Select style={{ width: 120 }} data-testid="home-target-kind"
                    options={(Object.keys(targetLabel) as TargetKind[]).map((k) => ({ value: k, label: targetLabel[k] }))} />
                </Form.Item>
                <Form.Item name="target" label={t("eng.targetValue")} rules={[{ required: true, whitespace: true, max: 200 }]}>
                  {targetKind === "category"
                    ? <CategoryPicker testId="home-target-category" />
                    : <Input data-testid="home-target" style={{ width: 260 }} />}
                </Form.Item>
              </Space>
            )}
          <Form.Item name="position" label={t("eng.position")}>
            <InputNumber min={0} max={10000} precision={0} data-testid="home-position" />
          </Form.Item>
          <Space>
            <Form.Item name="starts_at" label={t("eng.startsAt")} rules={[{ required: true }]} extra={t("eng.timeZone")}>
              <DatePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" data-testid="home-starts" />
            </Form.Item>
            <Form.Item name="ends_at" label={t("eng.endsAt")}>
              <DatePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" placeholder={t("eng.noEnd")} data-testid="home-ends" />
            </Form.Item>
          </Space>
        </Form>
      </Modal>
      {platform && <HotWords />}
    </>
  );
}

/** The mall's curated hot words, in order (one a line, at most 20). */
function HotWords() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [text, setText] = useState<string | null>(null);

  useEffect(() => {
    call<{ words: string[] }>("GET", "/api/platform/hot-words")
      .then((a) => setText(a.words.join("\n")))
      .catch((err) => { setText(""); message.error(explain(err)); });
  }, [message, explain]);

  async function save() {
    const words = (text ?? "").split("\n").map((w) => w.trim()).filter(Boolean);
    try {
      const answer = await call<{ words: string[] }>("PUT", "/api/platform/hot-words", { body: { words } });
      setText(answer.words.join("\n"));
      message.success(t("common.done"));
    } catch (err) {
      message.error(explain(err));
    }
  }

  return (
    <Card title={t("eng.hotWords")} size="small" style={{ marginTop: 24, maxWidth: 480 }} data-testid="hot-words">
      <Input.TextArea rows={6} value={text ?? ""} onChange={(e) => setText(e.target.value)} placeholder={t("eng.hotWordsHelp")}
        data-testid="hot-words-input" disabled={text === null} />
      <Button type="primary" style={{ marginTop: 8 }} onClick={() => void save()} data-testid="hot-words-save">{t("eng.save")}</Button>
    </Card>
  );
}
