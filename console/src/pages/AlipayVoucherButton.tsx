/* Publish one coupon template as an Alipay merchant voucher (商家券): asked for the brand name the voucher
 * shows, created at Alipay once (pressing again answers the same activity). */
import { useState } from "react";
import { App, Button, Form, Input, Modal } from "antd";
import { call } from "../api";
import { useI18n } from "../i18n";

export default function AlipayVoucherButton({ templateId }: { templateId: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ brand_name: string }>();

  async function publish(values: { brand_name: string }) {
    setBusy(true);
    try {
      const answer = await call<{ activity_id: string }>(
        "POST", `/api/merchant/coupon-templates/${encodeURIComponent(templateId)}/alipay-voucher`,
        { body: values, idempotent: true });
      message.success(`${t("alipay.published")} (${answer.activity_id})`);
      setOpen(false);
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="small" onClick={() => setOpen(true)} data-testid={`voucher-${templateId}`}>{t("alipay.voucher")}</Button>
      <Modal open={open} title={t("alipay.voucher")} onCancel={() => setOpen(false)} onOk={() => form.submit()}
        confirmLoading={busy} destroyOnClose>
        <Form form={form} layout="vertical" onFinish={publish} preserve={false}>
          <Form.Item name="brand_name" label={t("alipay.brandName")} rules={[{ required: true, max: 12, whitespace: true }]}>
            <Input maxLength={12} data-testid="voucher-brand" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
