import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { Spin } from "antd";
import { session } from "./api";
import { ConsoleLayout } from "./ConsoleLayout";
import { LoginPage } from "./pages/Login";

// Each page its own chunk: sign-in loads only what it needs; ECharts comes with the dashboard.
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Products = lazy(() => import("./pages/Products"));
const Orders = lazy(() => import("./pages/Orders"));
const Campaigns = lazy(() => import("./pages/Campaigns"));
const StoreCodes = lazy(() => import("./pages/StoreCodes"));
const Stores = lazy(() => import("./pages/Stores"));
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
    <ConsoleLayout>
      <Suspense fallback={<Spin size="large" />}>{element}</Suspense>
    </ConsoleLayout>
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
      <Route path="/checkout" element={page(<Checkout />)} />
      <Route path="*" element={<Navigate to="/dashboard" replace />} />
    </Routes>
  );
}
