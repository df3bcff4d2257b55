/* The mall's category tree (the public GET /api/categories) as a picker: a category is chosen by name,
 * its id is what the form keeps. */
import { useEffect, useState } from "react";
import { TreeSelect } from "antd";
import { call } from "./api";
import { useI18n } from "./i18n";

interface Category {
  id: string;
  name: string;
  children: Category[];
}

interface TreeNode {
  value: string;
  title: string;
  children: TreeNode[];
}

const toNodes = (nodes: Category[]): TreeNode[] =>
  nodes.map((n) => ({ value: n.id, title: n.name, children: toNodes(n.children) }));

export function CategoryPicker({ value, onChange, testId = "category-picker" }: {
  value?: string | null;
  onChange?: (value: string | undefined) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  const [tree, setTree] = useState<TreeNode[]>([]);
  useEffect(() => {
    let live = true;
    call<{ items: Category[] }>("GET", "/api/categories")
      .then((a) => live && setTree(toNodes(a.items)))
      .catch(() => live && setTree([]));
    return () => {
      live = false;
    };
  }, []);
  return (
    <TreeSelect
      data-testid={testId}
      value={value ?? undefined}
      onChange={(v) => onChange?.(v ?? undefined)}
      treeData={tree}
      treeDefaultExpandAll
      showSearch
      treeNodeFilterProp="title"
      allowClear
      placeholder={t("prod.pickCategory")}
    />
  );
}
