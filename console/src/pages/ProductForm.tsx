/* Create or edit a product with its SKUs. Prices are typed in yuan and sent in fen (money.ts); specs are
 * typed as "颜色:红, 尺码:L". `productBody` is the whole conversion, so tests can check what is sent. The
 * image is uploaded on its own (POST /api/merchant/images: checked, re-encoded and resized by the gateway)
 * and the product keeps the URL it answers. */
import { useState } from "react";
import { Alert, Button, Card, Col, Form, Image, Input, InputNumber, Row, Select, Space, Switch, Typography, Upload } from "antd";
import { DeleteOutlined, PlusOutlined, UploadOutlined } from "@ant-design/icons";
import { upload } from "../api";
import { MoneyError, fenToYuan, yuanToFen } from "../money";
import { CategoryPicker } from "../CategoryPicker";
import { useI18n, type Translate } from "../i18n";

export interface Store {
  store_id: string;
  name: string;
}

export interface MerchantSku {
  id: string;
  specs: Record<string, string>;
  price_fen: number;
  deposit_fen: number;
  barcode: string | null;
  sellable: boolean;
  available: number;
  reserved: number;
}

export interface MerchantProduct {
  id: string;
  name: string;
  category_id: string | null;
  brand: string;
  description: string;
  image: string;
  active: boolean;
  store_ids: string[];
  skus: MerchantSku[];
}

interface SkuValues {
  id?: string;
  specs?: string;
  price?: string;
  deposit?: string;
  barcode?: string;
  stock?: number;
  sellable?: boolean;
}

export interface ProductValues {
  name: string;
  category_id?: string;
  brand?: string;
  description?: string;
  active?: boolean;
  store_ids?: string[];
  skus: SkuValues[];
}

export interface ProductBody {
  name: string;
  category_id: string | null;
  brand: string;
  description: string;
  image: string;
  active: boolean;
  store_ids: string[];
  skus: {
    id?: string;
    specs: Record<string, string>;
    price_fen: number;
    deposit_fen: number;
    barcode: string | null;
    sellable: boolean;
    stock?: number;
  }[];
}

export function parseSpecs(text: string | undefined): Record<string, string> {
  const specs: Record<string, string> = {};
  for (const part of (text ?? "").split(/[,，;；]/)) {
    if (!part.trim()) continue;
    const [name, ...rest] = part.split(/[:：]/);
    const value = rest.join(":").trim();
    if (!name.trim() || !value) throw new Error("specs");
    specs[name.trim()] = value;
  }
  return specs;
}

export const specsText = (specs: Record<string, string>) =>
  Object.entries(specs).map(([name, value]) => `${name}:${value}`).join(", ");

/** The API body for the form's values (throws MoneyError on an amount the validators would refuse). */
export function productBody(values: ProductValues, image = ""): ProductBody {
  return {
    name: values.name.trim(),
    category_id: values.category_id?.trim() || null,
    brand: (values.brand ?? "").trim(),
    description: values.description ?? "",
    image,
    active: values.active ?? true,
    store_ids: values.store_ids ?? [],
    skus: values.skus.map((sku) => ({
      ...(sku.id ? { id: sku.id } : { stock: sku.stock ?? 0 }),
      specs: parseSpecs(sku.specs),
      price_fen: yuanToFen(sku.price ?? ""),
      deposit_fen: sku.deposit ? yuanToFen(sku.deposit) : 0,
      barcode: sku.barcode?.trim() || null,
      sellable: sku.sellable ?? true,
    })),
  };
}

export function productValues(product: MerchantProduct): ProductValues {
  return {
    name: product.name,
    category_id: product.category_id ?? undefined,
    brand: product.brand,
    description: product.description,
    active: product.active,
    store_ids: product.store_ids,
    skus: product.skus.map((sku) => ({
      id: sku.id,
      specs: specsText(sku.specs),
      price: fenToYuan(sku.price_fen),
      deposit: sku.deposit_fen ? fenToYuan(sku.deposit_fen) : "",
      barcode: sku.barcode ?? "",
      sellable: sku.sellable,
    })),
  };
}

export function yuanRule(t: Translate, { optional = false } = {}) {
  return {
    validator: async (_: unknown, value: string | undefined) => {
      if (optional && !value) return;
      try {
        yuanToFen(value ?? "");
      } catch (err) {
        throw new Error(err instanceof MoneyError && err.message === "negative" ? t("money.negative") : t("money.invalid"));
      }
    },
  };
}

interface Props {
  initial?: MerchantProduct;
  stores: Store[];
  onSubmit: (body: ProductBody) => Promise<void>;
  onCancel?: () => void;
}

export interface UploadedImage {
  url: string;
  width: number;
  height: number;
}

export function ProductForm({ initial, stores, onSubmit, onCancel }: Props) {
  const { t, explain } = useI18n();
  const [form] = Form.useForm<ProductValues>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [image, setImage] = useState(initial?.image ?? "");
  const [uploading, setUploading] = useState(false);

  async function finish(values: ProductValues) {
    setBusy(true);
    setError("");
    try {
      await onSubmit(productBody(values, image));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function uploadImage(file: File) {
    setUploading(true);
    setError("");
    try {
      setImage((await upload<UploadedImage>("/api/merchant/images", file)).url);
    } catch (err) {
      setError(explain(err));
    } finally {
      setUploading(false);
    }
  }

  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={finish}
      data-testid="product-form"
      initialValues={initial ? productValues(initial) : { active: true, skus: [{ sellable: true, stock: 0 }] }}
    >
      <Row gutter={16}>
        <Col span={12}>
          <Form.Item name="name" label={t("prod.name")} rules={[{ required: true, whitespace: true, max: 100 }]}>
            <Input data-testid="product-name" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name="category_id" label={t("prod.category")}>
            <CategoryPicker testId="product-category" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name="brand" label={t("prod.brand")} rules={[{ max: 50 }]}>
            <Input data-testid="product-brand" />
          </Form.Item>
        </Col>
        <Col span={8}>
          <Form.Item name="store_ids" label={t("prod.stores")}>
            <Select mode="multiple" allowClear options={stores.map((s) => ({ value: s.store_id, label: s.name }))} data-testid="product-stores" />
          </Form.Item>
        </Col>
        <Col span={4}>
          <Form.Item name="active" label={t("prod.active")} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="description" label={t("prod.description")} rules={[{ max: 5000 }]}>
        <Input.TextArea rows={3} data-testid="product-description" />
      </Form.Item>
      <Form.Item label={t("prod.image")} extra={t("prod.imageHint")}>
        <Space align="start">
          {image && <Image src={image} width={96} height={96} style={{ objectFit: "cover" }} data-testid="product-image" />}
          <Upload
            accept="image/jpeg,image/png,image/webp,image/gif"
            showUploadList={false}
            beforeUpload={(file) => { void uploadImage(file); return false; }}
          >
            <Button icon={<UploadOutlined />} loading={uploading} data-testid="product-image-upload">{t("prod.upload")}</Button>
          </Upload>
          {image && (
            <Button type="text" danger onClick={() => setImage("")} data-testid="product-image-remove">{t("prod.removeImage")}</Button>
          )}
        </Space>
        {image && <Typography.Text type="secondary" copyable style={{ display: "block", fontSize: 12 }}>{image}</Typography.Text>}
      </Form.Item>
      <Form.List
        name="skus"
        rules={[{ validator: async (_, skus) => { if (!skus?.length) throw new Error(t("prod.skuRequired")); } }]}
      >
        {(fields, { add, remove }, { errors }) => (
          <Card size="small" title={t("prod.skus")}>
            {fields.map((field, index) => {
              const saved = Boolean(form.getFieldValue(["skus", field.name, "id"]));
              return (
                <Row gutter={8} key={field.key} data-testid={`sku-row-${index}`} align="top">
                  <Col span={6}>
                    <Form.Item
                      name={[field.name, "specs"]}
                      label={t("prod.specs")}
                      rules={[{
                        validator: async (_, value) => {
                          try { parseSpecs(value); } catch { throw new Error(t("prod.specsInvalid")); }
                        },
                      }]}
                    >
                      <Input data-testid={`sku-specs-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item name={[field.name, "price"]} label={t("prod.price")} rules={[{ required: true, message: t("money.invalid") }, yuanRule(t)]}>
                      <Input prefix="¥" inputMode="decimal" data-testid={`sku-price-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={3}>
                    <Form.Item name={[field.name, "deposit"]} label={t("prod.deposit")} rules={[yuanRule(t, { optional: true })]}>
                      <Input prefix="¥" inputMode="decimal" data-testid={`sku-deposit-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item name={[field.name, "barcode"]} label={t("prod.barcode")} rules={[{ pattern: /^\d{8}$|^\d{12,13}$/ }]}>
                      <Input data-testid={`sku-barcode-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={3}>
                    <Form.Item name={[field.name, "stock"]} label={t("prod.initialStock")}>
                      <InputNumber min={0} max={10_000_000} precision={0} disabled={saved} data-testid={`sku-stock-${index}`} />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Form.Item name={[field.name, "sellable"]} label={t("prod.sellable")} valuePropName="checked">
                      <Switch size="small" />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    {!saved && fields.length > 1 && (
                      <Button style={{ marginTop: 30 }} icon={<DeleteOutlined />} onClick={() => remove(field.name)} />
                    )}
                  </Col>
                </Row>
              );
            })}
            <Form.ErrorList errors={errors} />
            <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ sellable: true, stock: 0 })} data-testid="add-sku" block>
              {t("prod.addSku")}
            </Button>
          </Card>
        )}
      </Form.List>
      {error && <Alert type="error" showIcon message={error} style={{ marginTop: 16 }} data-testid="product-error" />}
      <Row justify="end" style={{ marginTop: 16, gap: 8 }}>
        {onCancel && <Button onClick={onCancel}>{t("common.cancel")}</Button>}
        <Button type="primary" htmlType="submit" loading={busy} data-testid="product-submit">
          {t("common.save")}
        </Button>
      </Row>
    </Form>
  );
}
