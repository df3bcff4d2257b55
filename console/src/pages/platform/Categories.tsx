/* The mall's category tree, kept by the platform operator: add at the top or under a category, rename, move
 * under another (or to the top), delete an empty one (catalog refuses one with subcategories or products). */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Alert, App, Button, Empty, Form, Input, Modal, Popconfirm, Select, Space, Tree, Typography } from "antd";
import { PlusOutlined, ReloadOutlined } from "@ant-design/icons";
import type { DataNode } from "antd/es/tree";
import { call } from "../../api";
import { useI18n } from "../../i18n";

export interface Category {
  id: string;
  name: string;
  children: Category[];
}

/** What the form edits: a new category (under `parent` or at the top) or an existing one. */
type Editing = { mode: "create"; parent: Category | null } | { mode: "edit"; category: Category; parent: Category | null };

function flatten(nodes: Category[], parent: Category | null = null, out: { node: Category; parent: Category | null }[] = []) {
  for (const node of nodes) {
    out.push({ node, parent });
    flatten(node.children, node, out);
  }
  return out;
}

export default function Categories() {
  const { t, explain } = useI18n();
  const { message } = App.useApp();
  const [tree, setTree] = useState<Category[] | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);

  const reload = useCallback(() => {
    call<{ items: Category[] }>("GET", "/api/platform/categories")
      .then((a) => setTree(a.items))
      .catch((err) => { setTree([]); message.error(explain(err)); });
  }, [message, explain]);

  useEffect(reload, [reload]);
  const all = useMemo(() => flatten(tree ?? []), [tree]);

  async function remove(category: Category) {
    try {
      await call("DELETE", `/api/platform/categories/${encodeURIComponent(category.id)}`);
      message.success(t("common.done"));
      reload();
    } catch (err) {
      message.error(explain(err));
    }
  }

  const toNodes = (nodes: Category[], parent: Category | null): DataNode[] => nodes.map((node) => ({
    key: node.id,
    title: (
      <Space data-testid={`category-${node.name}`}>
        <Typography.Text>{node.name}</Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{node.id}</Typography.Text>
        <Button size="small" type="link" onClick={() => setEditing({ mode: "create", parent: node })} data-testid={`category-add-${node.name}`}>
          {t("plat.addChild")}
        </Button>
        <Button size="small" type="link" onClick={() => setEditing({ mode: "edit", category: node, parent })} data-testid={`category-edit-${node.name}`}>
          {t("common.edit")}
        </Button>
        <Popconfirm title={t("plat.delete")} onConfirm={() => remove(node)}>
          <Button size="small" type="link" danger data-testid={`category-delete-${node.name}`}>{t("plat.delete")}</Button>
        </Popconfirm>
      </Space>
    ),
    children: toNodes(node.children, node),
  }));

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ mode: "create", parent: null })} data-testid="category-new">
          {t("plat.newCategory")}
        </Button>
        <Button icon={<ReloadOutlined />} onClick={reload}>{t("common.refresh")}</Button>
      </Space>
      {tree !== null && tree.length === 0 ? (
        <Empty description={t("plat.noCategories")} />
      ) : (
        <Tree
          blockNode
          defaultExpandAll
          key={all.length} /* expand what a reload added */
          selectable={false}
          treeData={toNodes(tree ?? [], null)}
          data-testid="category-tree"
        />
      )}
      <CategoryModal editing={editing} all={all} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); reload(); }} />
    </>
  );
}

function CategoryModal({ editing, all, onClose, onSaved }: {
  editing: Editing | null;
  all: { node: Category; parent: Category | null }[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t, explain } = useI18n();
  const [form] = Form.useForm<{ name: string; parent_id: string }>();
  const [error, setError] = useState("");
  const TOP = "";

  useEffect(() => {
    setError("");
    if (editing) {
      form.setFieldsValue({
        name: editing.mode === "edit" ? editing.category.name : "",
        parent_id: editing.parent?.id ?? TOP,
      });
    }
  }, [editing, form]);

  async function save(values: { name: string; parent_id: string }) {
    if (!editing) return;
    setError("");
    try {
      const name = values.name.trim();
      if (editing.mode === "create") {
        await call("POST", "/api/platform/categories", { body: { name, parent_id: values.parent_id || null } });
      } else {
        const moved = values.parent_id !== (editing.parent?.id ?? TOP);
        await call("PATCH", `/api/platform/categories/${encodeURIComponent(editing.category.id)}`, {
          body: {
            name,
            ...(moved ? (values.parent_id ? { parent_id: values.parent_id } : { to_top: true }) : {}),
          },
        });
      }
      onSaved();
    } catch (err) {
      setError(explain(err));
    }
  }

  const parents = all.filter(({ node }) => editing?.mode !== "edit" || node.id !== editing.category.id);
  return (
    <Modal
      open={editing !== null}
      title={editing?.mode === "edit" ? t("plat.rename") : editing?.parent ? t("plat.addChild") : t("plat.newCategory")}
      onCancel={onClose}
      onOk={() => form.submit()}
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={save} data-testid="category-form">
        <Form.Item name="name" label={t("plat.categoryName")} rules={[{ required: true, whitespace: true, message: t("login.required") }, { max: 50 }]}>
          <Input data-testid="category-name" />
        </Form.Item>
        <Form.Item name="parent_id" label={t("plat.parent")}>
          <Select
            options={[{ value: TOP, label: "—" }, ...parents.map(({ node }) => ({ value: node.id, label: node.name }))]}
            data-testid="category-parent"
          />
        </Form.Item>
        {error && <Alert type="error" showIcon message={error} data-testid="category-error" />}
      </Form>
    </Modal>
  );
}
