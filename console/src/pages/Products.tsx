import { useCallback, useEffect, useMemo, useState } from "react";
import { App, Button, Drawer, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag, Typography } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import { call } from "../api";
import { formatYuan } from "../money";
import { useI18n } from "../i18n";
import {
  ProductForm,
  productBody,
  productValues,
  specsText,
  type MerchantProduct,
  type MerchantSku,
  type ProductBody,
  type Store,
} from "./ProductForm";

interface ProductRow {
  id: string;
  name: string;
  image: string;
  sold: number;
  active: boolean;
}

const PAGE_SIZE = 50; // the API's largest page
const MAX_PAGES = 40;

/** Every product of the merchant (the API pages by 50 and has no search): search and filters run here. */
async function allProducts(): Promise<ProductRow[]> {
  const rows: ProductRow[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await call<{ items: ProductRow[]; total: number }>("GET", "/api/merchant/products", {
      query: { page, page_size: PAGE_SIZE },
    });
    rows.push(...answer.items);
    if (rows.length >= answer.total || answer.items.length < PAGE_SIZE) break;
  }
  return rows;
}

export default function Products() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rows, setRows] = useState<ProductRow[] | null>(null);
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<"all" | "on" | "off">("all");
  const [stores, setStores] = useState<Store[]>([]);
  const [editing, setEditing] = useState<MerchantProduct | "new" | null>(null);
  const [skusOf, setSkusOf] = useState<MerchantProduct | null>(null);

  const reload = useCallback(() => {
    setRows(null);
    allProducts().then(setRows).catch((err: Error) => message.error(err.message));
  }, [message]);

  useEffect(() => {
    reload();
    call<{ items: Store[] }>("GET", "/api/merchant/pickup-stores").then((a) => setStores(a.items)).catch(() => {});
  }, [reload]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (rows ?? []).filter(
      (row) =>
        (!q || row.name.toLowerCase().includes(q) || row.id.toLowerCase().includes(q)) &&
        (status === "all" || row.active === (status === "on")),
    );
  }, [rows, query, status]);

  const open = async (id: string) => call<MerchantProduct>("GET", `/api/merchant/products/${encodeURIComponent(id)}`);

  async function save(body: ProductBody) {
    if (editing === "new") {
      await call("POST", "/api/merchant/products", { body, idempotent: true });
    } else if (editing) {
      await call("PUT", `/api/merchant/products/${encodeURIComponent(editing.id)}`, { body });
    }
    message.success(t("common.done"));
    setEditing(null);
    reload();
  }

  async function toggleSale(row: ProductRow) {
    try {
      const product = await open(row.id);
      const body = productBody({ ...productValues(product), active: !product.active }, product.image);
      await call("PUT", `/api/merchant/products/${encodeURIComponent(row.id)}`, { body });
      message.success(t("common.done"));
      reload();
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search
          placeholder={t("prod.search")}
          allowClear
          onSearch={setQuery}
          onChange={(e) => setQuery(e.target.value)}
          style={{ width: 260 }}
          data-testid="product-search"
        />
        <Select
          value={status}
          onChange={setStatus}
          style={{ width: 120 }}
          options={[
            { value: "all", label: t("common.all") },
            { value: "on", label: t("prod.onSale") },
            { value: "off", label: t("prod.offSale") },
          ]}
          data-testid="product-status-filter"
        />
        <Button icon={<ReloadOutlined />} onClick={reload}>
          {t("common.refresh")}
        </Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} data-testid="product-new">
          {t("prod.new")}
        </Button>
      </Space>
      <Table<ProductRow>
        rowKey="id"
        loading={rows === null}
        dataSource={shown}
        data-testid="products-table"
        pagination={{ pageSize: 20, showSizeChanger: false }}
        columns={[
          { title: "ID", dataIndex: "id", width: 160 },
          { title: t("prod.name"), dataIndex: "name" },
          { title: t("prod.sold"), dataIndex: "sold", width: 90 },
          {
            title: t("common.status"),
            dataIndex: "active",
            width: 100,
            render: (active: boolean) => (active ? <Tag color="green">{t("prod.onSale")}</Tag> : <Tag>{t("prod.offSale")}</Tag>),
          },
          {
            title: t("common.actions"),
            width: 260,
            render: (_, row) => (
              <Space>
                <Button size="small" onClick={() => open(row.id).then(setEditing).catch((e: Error) => message.error(e.message))}>
                  {t("common.edit")}
                </Button>
                <Button size="small" onClick={() => open(row.id).then(setSkusOf).catch((e: Error) => message.error(e.message))} data-testid={`skus-${row.id}`}>
                  {t("prod.stock")}
                </Button>
                <Button size="small" onClick={() => void toggleSale(row)} data-testid={`toggle-${row.id}`}>
                  {row.active ? t("prod.takeOff") : t("prod.putOn")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === "new" ? t("prod.new") : t("prod.edit")}
        footer={null}
        width={980}
        destroyOnClose
        onCancel={() => setEditing(null)}
      >
        {editing !== null && (
          <ProductForm
            key={editing === "new" ? "new" : editing.id}
            initial={editing === "new" ? undefined : editing}
            stores={stores}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
      <SkuDrawer product={skusOf} onClose={() => setSkusOf(null)} onChanged={setSkusOf} />
    </>
  );
}

function SkuDrawer({ product, onClose, onChanged }: {
  product: MerchantProduct | null;
  onClose: () => void;
  onChanged: (product: MerchantProduct) => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [deltas, setDeltas] = useState<Record<string, number | null>>({});

  function replaced(sku: MerchantSku) {
    if (product) onChanged({ ...product, skus: product.skus.map((s) => (s.id === sku.id ? sku : s)) });
  }

  async function adjust(sku: MerchantSku) {
    const delta = deltas[sku.id];
    if (!delta) return;
    try {
      replaced(await call<MerchantSku>("POST", `/api/merchant/skus/${encodeURIComponent(sku.id)}/stock`, {
        body: { delta }, idempotent: true,
      }));
      setDeltas({ ...deltas, [sku.id]: null });
      message.success(t("common.done"));
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  async function setSellable(sku: MerchantSku, sellable: boolean) {
    try {
      replaced(await call<MerchantSku>("PATCH", `/api/merchant/skus/${encodeURIComponent(sku.id)}`, { body: { sellable } }));
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  return (
    <Drawer open={product !== null} onClose={onClose} width={860} closable={{ placement: "end" }} title={product?.name} data-testid="sku-drawer">
      <Typography.Paragraph type="secondary">{product?.id}</Typography.Paragraph>
      <Table<MerchantSku>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={product?.skus ?? []}
        columns={[
          { title: "SKU", dataIndex: "id" },
          { title: t("prod.specs"), dataIndex: "specs", render: (specs: Record<string, string>) => specsText(specs) },
          { title: t("prod.price"), dataIndex: "price_fen", render: (fen: number) => formatYuan(fen) },
          { title: t("prod.available"), dataIndex: "available", render: (n: number, sku) => <span data-testid={`available-${sku.id}`}>{n}</span> },
          { title: t("prod.reserved"), dataIndex: "reserved" },
          {
            title: t("prod.sellable"),
            dataIndex: "sellable",
            render: (sellable: boolean, sku) => <Switch size="small" checked={sellable} onChange={(v) => void setSellable(sku, v)} />,
          },
          {
            title: t("prod.adjust"),
            render: (_, sku) => (
              <Space.Compact>
                <InputNumber
                  precision={0}
                  min={-10_000_000}
                  max={10_000_000}
                  placeholder={t("prod.delta")}
                  value={deltas[sku.id] ?? null}
                  onChange={(v) => setDeltas({ ...deltas, [sku.id]: v })}
                  style={{ width: 140 }}
                  data-testid={`delta-${sku.id}`}
                />
                <Button onClick={() => void adjust(sku)} data-testid={`adjust-${sku.id}`}>
                  {t("common.save")}
                </Button>
              </Space.Compact>
            ),
          },
        ]}
      />
    </Drawer>
  );
}
