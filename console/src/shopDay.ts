/* Metrics count by the shop's calendar (analytics' business time zone), not the browser's: a merchant
 * travelling, or a browser on UTC, must still see the shop's "today". */
const SHOP_TIME_ZONE = "Asia/Shanghai";

export function shopDay(at: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: SHOP_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  }).format(at);
}

export function daysBefore(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/** An API timestamp (UTC ISO) as the shop's local date and time. */
export function shopTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  return new Intl.DateTimeFormat("zh-CN", {
    timeZone: SHOP_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false,
  }).format(new Date(iso));
}
