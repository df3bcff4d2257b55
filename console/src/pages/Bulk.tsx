/* Bulk work: import products or stock changes from an Excel/CSV sheet (all rows or none; the refused rows are
 * listed by row and column), and export the orders as CSV with the progress shown while it streams. */
import { useState } from "react";
import { Alert, App, Button, Card, DatePicker, Progress, Select, Space, Table, Typography, Upload } from "antd";
import { DownloadOutlined, UploadOutlined } from "@ant-design/icons";
import type { Dayjs } from "dayjs";
import { download, upload, SheetError, type Progress as Got, type RowError } from "../download";
import { useI18n } from "../i18n";

type Kind = "products" | "stock";
const STATUSES = ["AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED", "REFUND_REQUESTED",
  "REFUNDED"];

export function ImportCard({ kind }: { kind: Kind }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string>("");
  const [failure, setFailure] = useState<{ message: string; rows: RowError[] } | null>(null);

  async function send(file: File) {
    setBusy(true);
    setResult("");
    setFailure(null);
    try {
      const answer = await upload<{ products: string[]; stock_changes: number }>(`/api/merchant/import/${kind}`, file);
      setResult(kind === "products" ? `${answer.products.length}` : `${answer.stock_changes}`);
      message.success(t("ops.imported"));
    } catch (err) {
      setFailure({ message: (err as Error).message, rows: err instanceof SheetError ? err.rows : [] });
    } finally {
      setBusy(false);
    }
  }

  const template = (format: "xlsx" | "csv") =>
    download(`/api/merchant/import/${kind}/template?format=${format}`, `mpmall-${kind}-template.${format}`)
      .catch((err: Error) => message.error(err.message));

  return (
    <Card title={t(kind === "products" ? "ops.importProducts" : "ops.importStock")} data-testid={`import-${kind}`}>
      <Space wrap>
        <Button icon={<DownloadOutlined />} onClick={() => void template("xlsx")} data-testid={`template-${kind}`}>
          {t("ops.template")} (.xlsx)
        </Button>
        <Button icon={<DownloadOutlined />} onClick={() => void template("csv")}>{t("ops.template")} (.csv)</Button>
        <Upload
          accept=".xlsx,.csv"
          showUploadList={false}
          beforeUpload={(file) => { void send(file); return false; }}
          data-testid={`upload-${kind}`}
        >
          <Button type="primary" icon={<UploadOutlined />} loading={busy}>{t("ops.chooseFile")}</Button>
        </Upload>
      </Space>
      {result && (
        <Alert style={{ marginTop: 16 }} type="success" message={`${t("ops.imported")}: ${result}`} data-testid={`imported-${kind}`} />
      )}
      {failure && (
        <>
          <Alert style={{ marginTop: 16 }} type="error" message={t("ops.importFailed")} description={failure.message} />
          {failure.rows.length > 0 && (
            <Table<RowError>
              style={{ marginTop: 8 }}
              size="small"
              rowKey={(e) => `${e.row}:${e.column}:${e.code}`}
              pagination={false}
              dataSource={failure.rows}
              data-testid={`row-errors-${kind}`}
              columns={[
                { title: t("ops.row"), dataIndex: "row", width: 70 },
                { title: t("ops.column"), dataIndex: "column", width: 140 },
                { title: t("ops.error"), dataIndex: "detail", render: (detail: string, e) => `${detail} (${e.code})` },
              ]}
            />
          )}
        </>
      )}
    </Card>
  );
}

export function ExportCard() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState("");
  const [method, setMethod] = useState("");
  const [dates, setDates] = useState<[string, string] | null>(null);
  const [progress, setProgress] = useState<Got | null>(null);
  const [running, setRunning] = useState(false);

  async function run() {
    const params = new URLSearchParams();
    if (status) params.set("status", status);
    if (method) params.set("delivery_method", method);
    if (dates) { params.set("from", dates[0]); params.set("to", dates[1]); }
    setRunning(true);
    setProgress({ bytes: 0, total: null, rows: 0, expectedRows: null });
    try {
      const done = await download(`/api/merchant/exports/orders?${params}`, "orders.csv", setProgress);
      setProgress(done);
    } catch (err) {
      message.error((err as Error).message);
      setProgress(null);
    } finally {
      setRunning(false);
    }
  }

  // The export streams without a length but says up front how many orders it holds (X-Total-Count): the
  // share of rows read is the progress; failing that, the share of bytes of a known length.
  const rows = progress ? Math.max(progress.rows - 1, 0) : 0;
  const percent = !progress ? 0
    : progress.expectedRows ? Math.min(100, Math.round((rows / progress.expectedRows) * 100))
    : progress.total ? Math.round((progress.bytes / progress.total) * 100)
    : running ? 0 : 100;
  return (
    <Card title={t("ops.export")} data-testid="export-orders">
      <Space wrap>
        <Select value={status} onChange={setStatus} style={{ width: 200 }} data-testid="export-status"
          options={[{ value: "", label: `${t("order.status")}: ${t("common.all")}` }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
        <Select value={method} onChange={setMethod} style={{ width: 160 }}
          options={[
            { value: "", label: `${t("order.delivery")}: ${t("common.all")}` },
            { value: "express", label: t("order.express") },
            { value: "pickup", label: t("order.pickup") },
          ]} />
        <DatePicker.RangePicker
          onChange={(v: [Dayjs | null, Dayjs | null] | null) =>
            setDates(v?.[0] && v[1] ? [v[0].format("YYYY-MM-DD"), v[1].format("YYYY-MM-DD")] : null)} />
        <Button type="primary" icon={<DownloadOutlined />} loading={running} onClick={() => void run()} data-testid="export-run">
          {t("ops.export")}
        </Button>
      </Space>
      {progress && (
        <div style={{ marginTop: 16 }} data-testid="export-progress">
          <Progress percent={running ? percent : 100} status={running ? "active" : "success"} />
          <Typography.Text data-testid="export-rows">
            {running ? t("ops.exporting") : t("ops.exportedRows")}: {rows}
            {progress.expectedRows !== null ? ` / ${progress.expectedRows}` : ""} · {(progress.bytes / 1024).toFixed(1)} KB
          </Typography.Text>
        </div>
      )}
    </Card>
  );
}

export default function Bulk() {
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <ImportCard kind="products" />
      <ImportCard kind="stock" />
      <ExportCard />
    </Space>
  );
}
