/* Ant Design Pro's shape with antd's own Layout: a dark side menu, a white header, the page in a content area. */
import { useState, type ReactNode } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { Button, Layout, Menu, Segmented, Space, Typography } from "antd";
import {
  ApiOutlined,
  DashboardOutlined,
  DollarOutlined,
  GiftOutlined,
  LogoutOutlined,
  QrcodeOutlined,
  SettingOutlined,
  ShopOutlined,
  ShoppingOutlined,
  SwapOutlined,
  UnorderedListOutlined,
} from "@ant-design/icons";
import { AlertsBell } from "./AlertsBell";
import { session, signOut } from "./api";
import { useI18n, type Lang } from "./i18n";

export function ConsoleLayout({ children }: { children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  // Only pages whose API exists today are in the menu.
  const items = [
    { key: "/dashboard", icon: <DashboardOutlined />, label: t("nav.dashboard") },
    { key: "/products", icon: <ShoppingOutlined />, label: t("nav.products") },
    { key: "/orders", icon: <UnorderedListOutlined />, label: t("nav.orders") },
    { key: "/campaigns", icon: <GiftOutlined />, label: t("nav.campaigns") },
    { key: "/store-codes", icon: <QrcodeOutlined />, label: t("nav.storeCodes") },
    { key: "/stores", icon: <ShopOutlined />, label: t("nav.stores") },
    { key: "/bulk", icon: <SwapOutlined />, label: t("nav.bulk") },
    { key: "/settings", icon: <SettingOutlined />, label: t("nav.settings") },
    { key: "/webhook", icon: <ApiOutlined />, label: t("nav.webhook") },
    { key: "/checkout", icon: <DollarOutlined />, label: t("nav.checkout") },
  ];
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} width={208}>
        <div className="console-logo">{collapsed ? "mp" : t("app.title")}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[location.pathname]}
          items={items.map((item) => ({ ...item, "data-testid": `nav-${item.key.slice(1)}` }))}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="console-header">
          <Typography.Text type="secondary" data-testid="merchant-id">
            {session.merchantId()}
          </Typography.Text>
          <Space>
            <AlertsBell />
            <Segmented
              size="small"
              value={lang}
              options={[
                { label: "中文", value: "zh" },
                { label: "EN", value: "en" },
              ]}
              onChange={(value) => setLang(value as Lang)}
              data-testid="lang-switch"
            />
            <Button icon={<LogoutOutlined />} onClick={() => void signOut()} data-testid="logout">
              {t("common.signOut")}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content className="console-content">{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}
