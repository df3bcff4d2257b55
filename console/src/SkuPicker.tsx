/* One of the merchant's SKUs, chosen instead of typed: search the merchant's products by name (or id, barcode),
 * pick one, then pick one of its SKUs. The form keeps the SKU id. Group-buy deals and member prices use it. */
import { useEffect, useState } from "react";
import { Select, Space } from "antd";
import { call } from "./api";
import { useI18n } from "./i18n";
import { formatYuan } from "./money";
import { specsText, type MerchantProduct } from "./pages/ProductForm";

interface ProductHit {
  id: string;
  name: string;
}

const SEARCH_PAUSE_MS = 250;

export function SkuPicker({ value, onChange, disabled = false, testId = "sku-picker" }: {
  value?: string;
  onChange?: (value: string | undefined) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const { t } = useI18n();
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<ProductHit[]>([]);
  const [product, setProduct] = useState<MerchantProduct | null>(null);

  useEffect(() => {
    if (disabled) return;
    let live = true;
    // Searched once typing pauses: a request per letter would spend the merchant API's rate limit.
    const timer = setTimeout(() => {
      call<{ items: ProductHit[] }>("GET", "/api/merchant/products", { query: { q: q.trim() || undefined, page_size: 20 } })
        .then((a) => live && setHits(a.items))
        .catch(() => live && setHits([]));
    }, SEARCH_PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q, disabled]);

  async function pickProduct(id: string) {
    onChange?.(undefined);
    setProduct(null);
    const found = await call<MerchantProduct>("GET", `/api/merchant/products/${encodeURIComponent(id)}`).catch(() => null);
    setProduct(found);
    if (found?.skus.length === 1) onChange?.(found.skus[0].id); // one SKU: nothing left to choose
  }

  // A SKU chosen before (editing): shown by its id, as the product it belongs to is not loaded.
  const skuOptions = product
    ? product.skus.map((s) => ({ value: s.id, label: `${specsText(s.specs) || s.id} · ${formatYuan(s.price_fen)}` }))
    : value ? [{ value, label: value }] : [];
  return (
    <Space direction="vertical" style={{ width: "100%" }} data-testid={testId}>
      {!disabled && (
        <Select
          data-testid={`${testId}-product`}
          showSearch
          filterOption={false}
          onSearch={setQ}
          onChange={(id: string) => void pickProduct(id)}
          value={product?.id}
          options={hits.map((p) => ({ value: p.id, label: p.name }))}
          placeholder={t("sku.searchProduct")}
          notFoundContent={t("sku.noProduct")}
        />
      )}
      <Select
        data-testid={`${testId}-sku`}
        value={value}
        onChange={(id: string) => onChange?.(id)}
        options={skuOptions}
        disabled={disabled || !product}
        placeholder={t("sku.pickSku")}
      />
    </Space>
  );
}
