import { useCallback, useEffect, useState } from "react";
import {
  Alert, App, Button, Drawer, Input, InputNumber, Modal, Radio, Select, Space, Switch, Table, Tag, Typography,
} from "antd";
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

export interface ProductRow {
  id: string;
  name: string;
  image: string;
  sold: number;
  active: boolean;
  category_id: string | null;
  available: number;
}

export interface ProductFilters {
  q: string;
  category_id?: string;
  active?: "true" | "false";
  low_stock?: number | null;
  page: number;
}

interface Category {
  id: string;
  name: string;
  children?: Category[];
}

const PAGE_SIZE = 20;

/** The category tree as "parent / child" options. */
function categoryOptions(tree: Category[], prefix = ""): { value: string; label: string }[] {
  return tree.flatMap((c) => [
    { value: c.id, label: prefix + c.name },
    ...categoryOptions(c.children ?? [], `${prefix}${c.name} / `),
  ]);
}

export type StockMode = "add" | "subtract" | "set";

/** The stock change each SKU needs: add or subtract n, or set to n (a change from what is available now). */
export function stockDelta(mode: StockMode, quantity: number, available: number): number {
  if (mode === "add") return quantity;
  if (mode === "subtract") return -quantity;
  return quantity - available;
}

export default function Products() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [answer, setAnswer] = useState<{ items: ProductRow[]; total: number } | null>(null);
  const [filters, setFilters] = useState<ProductFilters>({ q: "", page: 1 });
  const [categories, setCategories] = useState<{ value: string; label: string }[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [bulkOpen, setBulkOpen] = useState(false);
  const [stores, setStores] = useState<Store[]>([]);
  const [editing, setEditing] = useState<MerchantProduct | "new" | null>(null);
  const [skusOf, setSkusOf] = useState<MerchantProduct | null>(null);

  // Search and filters run on the server, one page at a time.
  const reload = useCallback(() => {
    setAnswer(null);
    call<{ items: ProductRow[]; total: number }>("GET", "/api/merchant/products", {
      query: {
        q: filters.q.trim() || undefined,
        category_id: filters.category_id,
        active: filters.active,
        low_stock: filters.low_stock ?? undefined,
        page: filters.page,
        page_size: PAGE_SIZE,
      },
    }).then(setAnswer).catch((err: Error) => message.error(err.message));
  }, [filters, message]);

  useEffect(reload, [reload]);
  useEffect(() => {
    call<{ items: Store[] }>("GET", "/api/merchant/pickup-stores").then((a) => setStores(a.items)).catch(() => {});
    call<{ items: Category[] }>("GET", "/api/categories").then((a) => setCategories(categoryOptions(a.items))).catch(() => {});
  }, []);

  const filter = (change: Partial<ProductFilters>) => setFilters((f) => ({ ...f, ...change, page: 1 }));
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
          placeholder={t("ops.searchProducts")}
          allowClear
          onSearch={(q) => filter({ q })}
          style={{ width: 260 }}
          data-testid="product-search"
        />
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder={t("ops.category")}
          value={filters.category_id}
          onChange={(category_id?: string) => filter({ category_id })}
          style={{ width: 180 }}
          options={categories}
          data-testid="product-category-filter"
        />
        <Select
          value={filters.active ?? "all"}
          onChange={(v: string) => filter({ active: v === "all" ? undefined : (v as "true" | "false") })}
          style={{ width: 120 }}
          options={[
            { value: "all", label: t("common.all") },
            { value: "true", label: t("prod.onSale") },
            { value: "false", label: t("prod.offSale") },
          ]}
          data-testid="product-status-filter"
        />
        <InputNumber
          min={0}
          precision={0}
          placeholder={t("ops.lowStock")}
          value={filters.low_stock ?? null}
          onChange={(low_stock) => filter({ low_stock })}
          style={{ width: 130 }}
          data-testid="product-low-stock"
        />
        <Button icon={<ReloadOutlined />} onClick={reload}>
          {t("common.refresh")}
        </Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} data-testid="product-new">
          {t("prod.new")}
        </Button>
        <Button disabled={!selected.length} onClick={() => setBulkOpen(true)} data-testid="bulk-stock">
          {t("ops.bulkStock")} {selected.length ? `(${selected.length})` : ""}
        </Button>
      </Space>
      <Table<ProductRow>
        rowKey="id"
        loading={answer === null}
        dataSource={answer?.items ?? []}
        data-testid="products-table"
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]), preserveSelectedRowKeys: true }}
        pagination={{
          current: filters.page,
          pageSize: PAGE_SIZE,
          total: answer?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => `${t("common.all")} ${total}`,
          onChange: (page) => setFilters((f) => ({ ...f, page })),
        }}
        columns={[
          { title: "ID", dataIndex: "id", width: 160 },
          { title: t("prod.name"), dataIndex: "name" },
          { title: t("ops.available"), dataIndex: "available", width: 100 },
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
      <BulkStockModal
        open={bulkOpen}
        productIds={selected}
        onClose={() => setBulkOpen(false)}
        onDone={() => { setBulkOpen(false); setSelected([]); reload(); }}
      />
      <SkuDrawer product={skusOf} onClose={() => setSkusOf(null)} onChanged={setSkusOf} />
    </>
  );
}

/** Adjust the stock of every SKU of the selected products: add, subtract or set the same quantity. Each SKU is
 * its own change (POST /skus/{id}/stock with its own Idempotency-Key); the ones refused are listed. */
export function BulkStockModal({ open, productIds, onClose, onDone }: {
  open: boolean;
  productIds: string[];
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [mode, setMode] = useState<StockMode>("add");
  const [quantity, setQuantity] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [failures, setFailures] = useState<{ sku: string; error: string }[]>([]);

  async function apply() {
    if (quantity === null) return;
    setBusy(true);
    setFailures([]);
    const failed: { sku: string; error: string }[] = [];
    let done = 0;
    for (const id of productIds) {
      let product: MerchantProduct;
      try {
        product = await call<MerchantProduct>("GET", `/api/merchant/products/${encodeURIComponent(id)}`);
      } catch (err) {
        failed.push({ sku: id, error: (err as Error).message });
        continue;
      }
      for (const sku of product.skus) {
        const delta = stockDelta(mode, quantity, sku.available);
        if (delta === 0) continue;
        try {
          await call("POST", `/api/merchant/skus/${encodeURIComponent(sku.id)}/stock`, { body: { delta }, idempotent: true });
          done += 1;
        } catch (err) {
          failed.push({ sku: sku.id, error: (err as Error).message });
        }
      }
    }
    setBusy(false);
    message.success(`${t("ops.bulkResult")}: ${done}`);
    if (failed.length) setFailures(failed);
    else onDone();
  }

  return (
    <Modal
      open={open}
      title={`${t("ops.bulkStock")} · ${t("ops.selected")} ${productIds.length}`}
      onCancel={() => { setFailures([]); onClose(); }}
      onOk={() => void apply()}
      okButtonProps={{ disabled: quantity === null, loading: busy, ...{ "data-testid": "bulk-apply" } }}
      destroyOnClose
    >
      <Space direction="vertical" style={{ width: "100%" }}>
        <Radio.Group value={mode} onChange={(e) => setMode(e.target.value as StockMode)} data-testid="bulk-mode">
          <Radio.Button value="add">{t("ops.add")}</Radio.Button>
          <Radio.Button value="subtract">{t("ops.subtract")}</Radio.Button>
          <Radio.Button value="set">{t("ops.set")}</Radio.Button>
        </Radio.Group>
        <InputNumber
          min={0}
          max={10_000_000}
          precision={0}
          placeholder={t("ops.quantity")}
          value={quantity}
          onChange={setQuantity}
          style={{ width: 200 }}
          data-testid="bulk-quantity"
        />
        {failures.length > 0 && (
          <Alert
            type="warning"
            message={t("ops.bulkFailed")}
            description={failures.map((f) => `${f.sku}: ${f.error}`).join("\n")}
            data-testid="bulk-failures"
          />
        )}
      </Space>
    </Modal>
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
