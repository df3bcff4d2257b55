/* The shop's reviews, newest first (hidden ones too): filter by rating, with images, hidden; reply (again
 * replaces the reply); hide with a reason the buyer sees, or show again. */
import { useCallback, useEffect, useState } from "react";
import { App, Button, Form, Image, Input, Modal, Rate, Select, Space, Switch, Table, Tag, Typography } from "antd";
import { ReloadOutlined } from "@ant-design/icons";
import { call } from "../api";
import { useI18n } from "../i18n";

export interface Review {
  id: string;
  product_id: string;
  sku_id: string;
  order_id: string;
  rating: number;
  text: string;
  images: string[];
  created_at: string;
  followup: { text: string; images: string[]; at: string } | null;
  reply: { text: string; at: string } | null;
  hidden: boolean;
  hidden_reason: string | null;
}

interface Filters {
  rating?: number;
  with_images?: boolean;
  hidden?: "true" | "false";
}

const PAGE_SIZE = 20;

/** What the form is for: a reply, or hiding with a reason. */
type Acting = { kind: "reply" | "hide"; review: Review } | null;

export default function Reviews() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [filters, setFilters] = useState<Filters>({});
  const [items, setItems] = useState<Review[] | null>(null);
  const [page, setPage] = useState(1);
  const [more, setMore] = useState(false);
  const [acting, setActing] = useState<Acting>(null);
  const [form] = Form.useForm<{ text: string }>();

  const load = useCallback((wanted: number) => {
    call<{ items: Review[] }>("GET", "/api/merchant/reviews", {
      query: {
        rating: filters.rating, with_images: filters.with_images ? "true" : undefined, hidden: filters.hidden,
        page: wanted, page_size: PAGE_SIZE,
      },
    })
      .then((a) => {
        setItems((old) => (wanted === 1 ? a.items : [...(old ?? []), ...a.items]));
        setPage(wanted);
        setMore(a.items.length === PAGE_SIZE);
      })
      .catch((err) => { setItems((old) => old ?? []); message.error(explain(err)); });
  }, [filters, message, explain]);

  useEffect(() => load(1), [load]);

  const replace = (review: Review) => setItems((old) => (old ?? []).map((r) => (r.id === review.id ? review : r)));

  async function submit() {
    if (!acting) return;
    const values = await form.validateFields().catch(() => null); // the form shows what is missing
    if (!values) return;
    const { text } = values;
    const path = `/api/merchant/reviews/${encodeURIComponent(acting.review.id)}`;
    try {
      if (acting.kind === "reply") {
        replace(await call<Review>("PUT", `${path}/reply`, { body: { text: text.trim() } }));
      } else {
        replace(await call<Review>("PUT", `${path}/hidden`, { body: { reason: text.trim() } }));
      }
      message.success(t("common.done"));
      setActing(null);
    } catch (err) {
      message.error(explain(err));
    }
  }

  async function show(review: Review) {
    try {
      replace(await call<Review>("DELETE", `/api/merchant/reviews/${encodeURIComponent(review.id)}/hidden`));
      message.success(t("common.done"));
    } catch (err) {
      message.error(explain(err));
    }
  }

  const open = (kind: "reply" | "hide", review: Review) => {
    setActing({ kind, review });
  };

  return (
    <>
      <Space style={{ marginBottom: 16 }} wrap>
        <Select
          data-testid="reviews-rating"
          style={{ width: 140 }}
          value={filters.rating ?? 0}
          onChange={(v: number) => setFilters({ ...filters, rating: v || undefined })}
          options={[{ value: 0, label: t("eng.anyRating") }, ...[5, 4, 3, 2, 1].map((n) => ({ value: n, label: "★".repeat(n) }))]}
        />
        <Select
          data-testid="reviews-hidden"
          style={{ width: 120 }}
          value={filters.hidden ?? ""}
          onChange={(v: string) => setFilters({ ...filters, hidden: (v || undefined) as Filters["hidden"] })}
          options={[
            { value: "", label: t("eng.anyVisibility") },
            { value: "false", label: t("eng.visibleOnly") },
            { value: "true", label: t("eng.hiddenOnly") },
          ]}
        />
        <Space>
          <Switch data-testid="reviews-images" checked={Boolean(filters.with_images)}
            onChange={(on) => setFilters({ ...filters, with_images: on || undefined })} />
          {t("eng.withImages")}
        </Space>
        <Button icon={<ReloadOutlined />} onClick={() => load(1)}>{t("common.refresh")}</Button>
      </Space>
      <Table<Review>
        rowKey="id"
        size="small"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        data-testid="reviews"
        columns={[
          { title: t("eng.rating"), dataIndex: "rating", width: 140, render: (n: number) => <Rate disabled value={n} style={{ fontSize: 12 }} /> },
          {
            title: t("eng.text"), key: "text",
            render: (_, r) => (
              <Space direction="vertical" size={4}>
                <Typography.Text data-testid={`review-text-${r.id}`}>{r.text}</Typography.Text>
                {r.images.length > 0 && (
                  <Image.PreviewGroup>
                    <Space>{r.images.map((src) => <Image key={src} src={src} width={48} height={48} />)}</Space>
                  </Image.PreviewGroup>
                )}
                {r.followup && <Typography.Text type="secondary">{t("eng.followup")}: {r.followup.text}</Typography.Text>}
                {r.reply && <Typography.Text type="success" data-testid={`review-reply-${r.id}`}>{t("eng.reply")}: {r.reply.text}</Typography.Text>}
              </Space>
            ),
          },
          { title: t("eng.product"), dataIndex: "product_id", width: 140 },
          {
            title: t("eng.status"), key: "hidden", width: 160,
            render: (_, r) => (r.hidden
              ? <Tag color="red" data-testid={`review-hidden-${r.id}`}>{t("eng.hidden")}: {r.hidden_reason}</Tag>
              : <Tag color="green" data-testid={`review-hidden-${r.id}`}>{t("eng.visible")}</Tag>),
          },
          { title: t("eng.createdAt"), dataIndex: "created_at", width: 170, render: (at: string) => new Date(at).toLocaleString() },
          {
            title: t("common.actions"), key: "actions", width: 200,
            render: (_, r) => (
              <Space>
                <Button size="small" onClick={() => open("reply", r)} data-testid={`review-reply-btn-${r.id}`}>{t("eng.reply")}</Button>
                {r.hidden
                  ? <Button size="small" onClick={() => void show(r)} data-testid={`review-show-${r.id}`}>{t("eng.show")}</Button>
                  : <Button size="small" danger onClick={() => open("hide", r)} data-testid={`review-hide-${r.id}`}>{t("eng.hide")}</Button>}
              </Space>
            ),
          },
        ]}
      />
      {more && <Button style={{ marginTop: 16 }} onClick={() => load(page + 1)} data-testid="reviews-more">{t("eng.more")}</Button>}
      <Modal
        open={acting !== null}
        title={acting?.kind === "hide" ? t("eng.hide") : t("eng.reply")}
        onOk={() => void submit()}
        onCancel={() => setActing(null)}
        okButtonProps={{ "data-testid": "review-submit" } as Record<`data-${string}`, string>}
        destroyOnClose
      >
        <Form form={form} layout="vertical" preserve={false}
          initialValues={{ text: acting?.kind === "reply" ? acting.review.reply?.text ?? "" : "" }}>
          <Form.Item name="text" label={acting?.kind === "hide" ? t("eng.hideReason") : t("eng.replyText")}
            rules={[{ required: true, whitespace: true, max: acting?.kind === "hide" ? 200 : 500 }]}>
            <Input.TextArea rows={3} data-testid="review-input" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
