import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { Spin } from "antd";
import { session, type SessionKind } from "./api";
import { homeOf } from "./access";
import { LoginPage } from "./pages/Login";

// The signed-in shell (menu, header) is a chunk of its own too: the sign-in route loads neither it nor a page.
const ConsoleLayout = lazy(() => import("./ConsoleLayout").then((m) => ({ default: m.ConsoleLayout })));
// Each page its own chunk: sign-in loads only what it needs; ECharts comes with the dashboard.
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Products = lazy(() => import("./pages/Products"));
const Orders = lazy(() => import("./pages/Orders"));
const Campaigns = lazy(() => import("./pages/Campaigns"));
const StoreCodes = lazy(() => import("./pages/StoreCodes"));
const Stores = lazy(() => import("./pages/Stores"));
const Bulk = lazy(() => import("./pages/Bulk"));
const Settings = lazy(() => import("./pages/Settings"));
const Webhook = lazy(() => import("./pages/Webhook"));
const Checkout = lazy(() => import("./pages/Checkout"));
const AlipayProducts = lazy(() => import("./pages/AlipayProducts"));
const Staff = lazy(() => import("./pages/Staff"));
const Apply = lazy(() => import("./pages/Apply"));
const SetPassword = lazy(() => import("./pages/SetPassword"));
const Applications = lazy(() => import("./pages/platform/Applications"));
const Merchants = lazy(() => import("./pages/platform/Merchants"));
const Categories = lazy(() => import("./pages/platform/Categories"));
const Reviews = lazy(() => import("./pages/Reviews"));
const GroupBuy = lazy(() => import("./pages/GroupBuy"));
const MemberPrices = lazy(() => import("./pages/MemberPrices"));
const HomeContent = lazy(() => import("./pages/HomeContent"));
const MallHome = lazy(() => import("./pages/platform/MallHome"));

const LOGIN: Record<SessionKind, string> = { staff: "/login", operator: "/platform/login" };

/** A page for one kind of session: without it (or with the other kind's token), its sign-in page. */
function RequireSession({ kind, children }: { kind: SessionKind; children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(Boolean(session.token()) && session.kind() === kind);
  const location = useLocation();
  useEffect(() => session.onSignedOut(() => setSignedIn(false)), []);
  if (!signedIn) return <Navigate to={LOGIN[kind]} replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

function Login({ kind }: { kind: SessionKind }) {
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return (
    <LoginPage
      operator={kind === "operator"}
      onSignedIn={() => navigate(from && from !== LOGIN[kind] ? from : homeOf(kind, session.role()), { replace: true })}
    />
  );
}

const page = (element: ReactNode, kind: SessionKind = "staff") => (
  <RequireSession kind={kind}>
    <Suspense fallback={<Spin size="large" />}>
      <ConsoleLayout>
        <Suspense fallback={<Spin size="large" />}>{element}</Suspense>
      </ConsoleLayout>
    </Suspense>
  </RequireSession>
);

const open = (element: ReactNode) => <Suspense fallback={<Spin size="large" />}>{element}</Suspense>;

function Home() {
  return <Navigate to={session.token() ? homeOf(session.kind(), session.role()) : "/login"} replace />;
}

export function ConsoleRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<Login kind="staff" />} />
      <Route path="/platform/login" element={<Login kind="operator" />} />
      <Route path="/apply" element={open(<Apply />)} />
      <Route path="/set-password" element={open(<SetPassword />)} />
      <Route path="/dashboard" element={page(<Dashboard />)} />
      <Route path="/products" element={page(<Products />)} />
      <Route path="/orders" element={page(<Orders />)} />
      <Route path="/campaigns" element={page(<Campaigns />)} />
      <Route path="/store-codes" element={page(<StoreCodes />)} />
      <Route path="/stores" element={page(<Stores />)} />
      <Route path="/bulk" element={page(<Bulk />)} />
      <Route path="/settings" element={page(<Settings />)} />
      <Route path="/webhook" element={page(<Webhook />)} />
      <Route path="/checkout" element={page(<Checkout />)} />
      <Route path="/alipay" element={page(<AlipayProducts />)} />
      <Route path="/staff" element={page(<Staff />)} />
      <Route path="/reviews" element={page(<Reviews />)} />
      <Route path="/group-buy" element={page(<GroupBuy />)} />
      <Route path="/member-prices" element={page(<MemberPrices />)} />
      <Route path="/home-content" element={page(<HomeContent />)} />
      <Route path="/platform/applications" element={page(<Applications />, "operator")} />
      <Route path="/platform/merchants" element={page(<Merchants />, "operator")} />
      <Route path="/platform/categories" element={page(<Categories />, "operator")} />
      <Route path="/platform/home" element={page(<MallHome />, "operator")} />
      <Route path="*" element={<Home />} />
    </Routes>
  );
}
