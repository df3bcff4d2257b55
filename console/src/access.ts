/* Which console pages a role sees, mirroring services/gateway/domain/permissions.py (the gateway decides;
 * this only keeps out of the menu what it would refuse). A page not named here is a shop page: owner and
 * manager, as an operation the gateway's table does not name. */
import type { Role, SessionKind } from "./api";

const PAGE_ROLES: Record<string, Role[]> = {
  "/orders": ["owner", "manager", "clerk"], // a clerk ships, readies and verifies pickups
  "/checkout": ["owner", "manager", "clerk"], // the counter's cashier rings up and charges
  "/staff": ["owner"],
  "/settings": ["owner"], // the shop's name and Huabei offers are the owner's alone
  "/alipay": ["owner"], // Alipay's products are switched on (and the 集分宝 budget set) by the owner
};

export function mayOpen(role: Role, page: string): boolean {
  return (PAGE_ROLES[page] ?? ["owner", "manager"]).includes(role);
}

/** Where a session starts: a clerk at the orders, an operator at the applications. */
export function homeOf(kind: SessionKind, role: Role): string {
  if (kind === "operator") return "/platform/applications";
  return mayOpen(role, "/dashboard") ? "/dashboard" : "/orders";
}
