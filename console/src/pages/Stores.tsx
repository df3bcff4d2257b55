import { useCallback, useEffect, useState } from "react";
import { Alert, App, Button, Form, Input, InputNumber, Modal, Space, Switch, Table, Typography } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import { call } from "../api";
import { useI18n } from "../i18n";
import StoreMap from "./StoreMap";

/** A store as catalog lists it (closed ones too, with its coordinates). */
interface MerchantStore {
  id: string;
  name: string;
  address: string;
  lat: number;
  lng: number;
  active: boolean;
}

/** Fulfilment's pickup settings of an open store. */
interface PickupStore {
  store_id: string;
  open_hours: unknown;
}

interface StoreRow extends MerchantStore {
  open_hours: unknown;
}

interface StoreValues {
  id: string;
  name: string;
  address: string;
  lat: number;
  lng: number;
  active: boolean;
}

export default function Stores() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [stores, setStores] = useState<StoreRow[] | null>(null);
  const [editing, setEditing] = useState<Partial<StoreValues> | null>(null);

  const reload = useCallback(() => {
    setStores(null);
    // The stores with their coordinates (catalog), each with its pickup hours (fulfilment) beside it.
    Promise.all([
      call<{ items: MerchantStore[] }>("GET", "/api/merchant/stores"),
      call<{ items: PickupStore[] }>("GET", "/api/merchant/pickup-stores"),
    ])
      .then(([all, pickup]) => {
        const hours = new Map(pickup.items.map((p) => [p.store_id, p.open_hours]));
        setStores(all.items.map((s) => ({ ...s, open_hours: hours.get(s.id) ?? null })));
      })
      .catch((err: Error) => message.error(err.message));
  }, [message]);
  useEffect(reload, [reload]);

  // Editing starts where the store is: its coordinates, so the map opens on it.
  const edit = (store: StoreRow) =>
    setEditing({ id: store.id, name: store.name, address: store.address, lat: store.lat, lng: store.lng, active: store.active });

  return (
    <>
      <Typography.Paragraph type="secondary">{t("store.pickupNote")}</Typography.Paragraph>
      <Space style={{ marginBottom: 16 }}>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ active: true })} data-testid="store-new">
          {t("store.new")}
        </Button>
      </Space>
      <Table<StoreRow>
        rowKey="id"
        loading={stores === null}
        dataSource={stores ?? []}
        data-testid="stores-table"
        columns={[
          { title: t("store.id"), dataIndex: "id" },
          { title: t("common.name"), dataIndex: "name" },
          { title: t("store.address"), dataIndex: "address" },
          { title: t("store.openHours"), dataIndex: "open_hours", render: (h: unknown) => (h ? JSON.stringify(h) : "–") },
          { title: t("store.active"), dataIndex: "active", render: (on: boolean) => (on ? t("common.yes") : t("common.no")) },
          {
            title: t("common.actions"),
            render: (_, s) => <Button size="small" onClick={() => edit(s)} data-testid={`store-edit-${s.id}`}>{t("common.edit")}</Button>,
          },
        ]}
      />
      <StoreModal store={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); reload(); }} />
    </>
  );
}

function StoreModal({ store, onClose, onSaved }: { store: Partial<StoreValues> | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<StoreValues>();
  const [error, setError] = useState("");
  const lat = Form.useWatch("lat", form);
  const lng = Form.useWatch("lng", form);

  async function save({ id, ...body }: StoreValues) {
    setError("");
    try {
      await call("PUT", `/api/merchant/stores/${encodeURIComponent(id)}`, { body });
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Modal width={640} open={store !== null} title={store?.id ?? t("store.new")} onCancel={onClose} onOk={() => form.submit()} destroyOnClose>
      {store && (
        <Form form={form} layout="vertical" onFinish={save} initialValues={store} preserve={false}>
          <Form.Item name="id" label={t("store.id")} rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,64}$/ }]}>
            <Input disabled={Boolean(store.id)} />
          </Form.Item>
          <Form.Item name="name" label={t("common.name")} rules={[{ required: true, whitespace: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="address" label={t("store.address")} rules={[{ required: true, whitespace: true, max: 300 }]}>
            <Input />
          </Form.Item>
          <Space>
            <Form.Item name="lat" label={t("store.lat")} rules={[{ required: true }]}>
              <InputNumber min={-90} max={90} step={0.000001} data-testid="store-lat" />
            </Form.Item>
            <Form.Item name="lng" label={t("store.lng")} rules={[{ required: true }]}>
              <InputNumber min={-180} max={180} step={0.000001} data-testid="store-lng" />
            </Form.Item>
            <Form.Item name="active" label={t("store.active")} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
          <Form.Item label={t("maps.pick")} extra={t("maps.wgs84")}>
            <StoreMap value={{ lat, lng }} onPick={(at) => form.setFieldsValue(at)} />
          </Form.Item>
          {error && <Alert type="error" message={error} />}
        </Form>
      )}
    </Modal>
  );
}
