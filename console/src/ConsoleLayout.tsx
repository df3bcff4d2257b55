/* Ant Design Pro's shape with antd's own Layout: a dark side menu, a white header, the page in a content area. */
import { useState, type ReactNode } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { Button, Layout, Menu, Space, Typography } from "antd";
import {
  AlipayCircleOutlined,
  ApiOutlined,
  CrownOutlined,
  PictureOutlined,
  StarOutlined,
  UsergroupAddOutlined,
  ApartmentOutlined,
  AuditOutlined,
  DashboardOutlined,
  DollarOutlined,
  GiftOutlined,
  LogoutOutlined,
  QrcodeOutlined,
  SettingOutlined,
  ShopOutlined,
  ShoppingOutlined,
  SwapOutlined,
  TeamOutlined,
  UnorderedListOutlined,
} from "@ant-design/icons";
import { AlertsBell } from "./AlertsBell";
import { session, signOut } from "./api";
import { mayOpen } from "./access";
import { useI18n } from "./i18n";
import { LanguageSwitch } from "./LanguageSwitch";

export function ConsoleLayout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  // Only pages whose API exists today are in the menu.
  const items = [
    { key: "/dashboard", icon: <DashboardOutlined />, label: t("nav.dashboard") },
    { key: "/products", icon: <ShoppingOutlined />, label: t("nav.products") },
    { key: "/orders", icon: <UnorderedListOutlined />, label: t("nav.orders") },
    { key: "/campaigns", icon: <GiftOutlined />, label: t("nav.campaigns") },
    { key: "/group-buy", icon: <UsergroupAddOutlined />, label: t("nav.groupBuy") },
    { key: "/member-prices", icon: <CrownOutlined />, label: t("nav.memberPrices") },
    { key: "/reviews", icon: <StarOutlined />, label: t("nav.reviews") },
    { key: "/home-content", icon: <PictureOutlined />, label: t("nav.homeContent") },
    { key: "/store-codes", icon: <QrcodeOutlined />, label: t("nav.storeCodes") },
    { key: "/stores", icon: <ShopOutlined />, label: t("nav.stores") },
    { key: "/bulk", icon: <SwapOutlined />, label: t("nav.bulk") },
    { key: "/settings", icon: <SettingOutlined />, label: t("nav.settings") },
    { key: "/webhook", icon: <ApiOutlined />, label: t("nav.webhook") },
    { key: "/checkout", icon: <DollarOutlined />, label: t("nav.checkout") },
    { key: "/alipay", icon: <AlipayCircleOutlined />, label: t("nav.alipay") },
    { key: "/staff", icon: <TeamOutlined />, label: t("nav.staff") },
  ];
  // A platform operator has a menu of its own; staff see the pages their role may use.
  const platformItems = [
    { key: "/platform/applications", icon: <AuditOutlined />, label: t("nav.applications") },
    { key: "/platform/merchants", icon: <ShopOutlined />, label: t("nav.merchants") },
    { key: "/platform/categories", icon: <ApartmentOutlined />, label: t("nav.categories") },
    { key: "/platform/home", icon: <PictureOutlined />, label: t("nav.mallHome") },
  ];
  const shown = session.kind() === "operator" ? platformItems : items.filter((item) => mayOpen(session.role(), item.key));
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} width={208}>
        <div className="console-logo">{collapsed ? "mp" : t("app.title")}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[location.pathname]}
          items={shown.map((item) => ({ ...item, "data-testid": `nav-${item.key.slice(1).replace("/", "-")}` }))}
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
            <LanguageSwitch />
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
