import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { Spin } from "antd";
import { session } from "./api";
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

function RequireStaff({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(Boolean(session.token()));
  const location = useLocation();
  useEffect(() => session.onSignedOut(() => setSignedIn(false)), []);
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

function Login() {
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/dashboard";
  return <LoginPage onSignedIn={() => navigate(from === "/login" ? "/dashboard" : from, { replace: true })} />;
}

const page = (element: ReactNode) => (
  <RequireStaff>
    <Suspense fallback={<Spin size="large" />}>
      <ConsoleLayout>
        <Suspense fallback={<Spin size="large" />}>{element}</Suspense>
      </ConsoleLayout>
    </Suspense>
  </RequireStaff>
);

export function ConsoleRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<Login />} />
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
      <Route path="*" element={<Navigate to="/dashboard" replace />} />
    </Routes>
  );
}
