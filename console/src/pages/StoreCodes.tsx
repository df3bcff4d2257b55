/* A signed, expiring claim code for a store coupon, drawn as a QR code to print or download as PNG or PDF. The
 * QR holds the code itself (MPSC.…), which the mini-program's scan resolves. */
import { useEffect, useState } from "react";
import { Alert, App, Button, Card, Form, InputNumber, Select, Space, Typography } from "antd";
import { DownloadOutlined, FilePdfOutlined, PrinterOutlined } from "@ant-design/icons";
import QRCode from "qrcode";
import { call } from "../api";
import { shopTime } from "../shopDay";
import { useI18n } from "../i18n";
import { saveBlob } from "../download";
import { claimSheetPdf } from "./claimPdf";
import { offerText, type Campaign, type Template } from "./Campaigns";

interface StoreCode {
  code: string;
  template_id: string;
  store_id: string;
  expires_at: string;
}

export default function StoreCodes() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [templates, setTemplates] = useState<(Template & { campaign: string })[] | null>(null);
  const [code, setCode] = useState<StoreCode | null>(null);
  const [image, setImage] = useState("");
  const [storeNames, setStoreNames] = useState<Record<string, string>>({});
  const [making, setMaking] = useState(false);

  useEffect(() => {
    call<{ items: Campaign[] }>("GET", "/api/merchant/campaigns")
      .then((a) => setTemplates(a.items.filter((c) => c.status !== "ended").flatMap((c) =>
        c.templates.filter((tpl) => tpl.channel === "store_code").map((tpl) => ({ ...tpl, campaign: c.name })))))
      .catch((err: Error) => message.error(err.message));
    // The sheet names the store; without the list it shows the store's id.
    call<{ items: { store_id: string; name: string }[] }>("GET", "/api/merchant/pickup-stores")
      .then((a) => setStoreNames(Object.fromEntries(a.items.map((s) => [s.store_id, s.name]))))
      .catch(() => setStoreNames({}));
  }, [message]);

  async function make(values: { template_id: string; ttl_days: number }) {
    try {
      const minted = await call<StoreCode>("POST", "/api/merchant/store-codes", {
        body: { template_id: values.template_id, ttl_minutes: values.ttl_days * 24 * 60 },
      });
      setImage(await QRCode.toDataURL(minted.code, { width: 560, margin: 2, errorCorrectionLevel: "M" }));
      setCode(minted);
    } catch (err) {
      message.error((err as Error).message);
    }
  }

  const chosen = templates?.find((tpl) => tpl.id === code?.template_id);
  const storeName = code ? storeNames[code.store_id] ?? code.store_id : "";

  async function pdf() {
    if (!code) return;
    setMaking(true);
    try {
      const blob = await claimSheetPdf({
        qr: image,
        coupon: chosen ? `${chosen.name} · ${offerText(chosen)}` : code.template_id,
        store: `${t("maps.store")}: ${storeName}`,
        footer: [t("maps.scan"), `${t("code.expires")}: ${shopTime(code.expires_at)}`, code.code],
      });
      saveBlob(blob, `store-code-${code.store_id}.pdf`);
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setMaking(false);
    }
  }
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Card className="no-print">
        {templates !== null && templates.length === 0 && <Alert type="info" message={t("code.none")} style={{ marginBottom: 16 }} />}
        <Form layout="inline" onFinish={make} initialValues={{ ttl_days: 30 }} data-testid="code-form">
          <Form.Item name="template_id" label={t("code.template")} rules={[{ required: true }]}>
            <Select
              style={{ width: 360 }}
              loading={templates === null}
              options={(templates ?? []).map((tpl) => ({ value: tpl.id, label: `${tpl.campaign} · ${tpl.name} · ${tpl.store_id}` }))}
              data-testid="code-template"
            />
          </Form.Item>
          <Form.Item name="ttl_days" label={t("code.ttl")} rules={[{ required: true }]}>
            <InputNumber min={1} max={365} precision={0} />
          </Form.Item>
          <Button type="primary" htmlType="submit" data-testid="code-make">{t("code.make")}</Button>
        </Form>
      </Card>
      {code && image && (
        <Card>
          <div className="qr-sheet" data-testid="code-sheet">
            <Typography.Title level={3}>{chosen ? `${chosen.name} · ${offerText(chosen)}` : code.template_id}</Typography.Title>
            <img src={image} alt={code.code} data-testid="code-qr" />
            <Typography.Paragraph>{`${t("order.store")}: ${storeName} · ${t("code.expires")}: ${shopTime(code.expires_at)}`}</Typography.Paragraph>
            <Typography.Paragraph type="secondary" copyable data-testid="code-text">{code.code}</Typography.Paragraph>
          </div>
          <Space className="no-print">
            <Button icon={<PrinterOutlined />} onClick={() => window.print()}>{t("code.print")}</Button>
            <Button icon={<DownloadOutlined />} href={image} download={`store-code-${code.store_id}.png`}>{t("code.download")}</Button>
            <Button icon={<FilePdfOutlined />} onClick={pdf} loading={making} data-testid="code-pdf">{t("maps.pdf")}</Button>
          </Space>
        </Card>
      )}
    </Space>
  );
}
