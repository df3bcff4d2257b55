/* Money: the API speaks integer fen; people read and type yuan. Decimal strings are parsed by hand, never
 * through floating point, so "0.1" + "0.2" style inputs are exact. */

export class MoneyError extends Error {}

const YUAN_PATTERN = /^(\d{1,9})(?:\.(\d{0,2}))?$/;

/** "12.5" → 1250. Refuses negatives, more than two decimals, and anything that is not a plain amount. */
export function yuanToFen(input: string | number): number {
  const text = (typeof input === "number" ? numberText(input) : input).trim().replace(/^¥/, "");
  if (text.startsWith("-")) throw new MoneyError("negative");
  const match = YUAN_PATTERN.exec(text);
  if (!match) throw new MoneyError("invalid");
  const cents = (match[2] ?? "").padEnd(2, "0");
  return Number(match[1]) * 100 + Number(cents);
}

/** A number typed into a numeric input: 0.1 + 0.2 arrives as 0.30000000000000004; anything past the fen
 * that is only float noise is dropped, real extra digits are refused by yuanToFen. */
function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new MoneyError("invalid");
  const rounded = Math.round(value * 100) / 100;
  return Math.abs(rounded - value) < 1e-9 ? rounded.toFixed(2) : String(value);
}

/** 1250 → "12.50" (a whole number of fen; negatives keep their sign). */
export function fenToYuan(fen: number): string {
  if (!Number.isInteger(fen)) throw new MoneyError("not whole fen");
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** 1250 → "¥12.50"; null/undefined → "–". */
export function formatYuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return "–";
  const text = fenToYuan(fen);
  return text.startsWith("-") ? `-¥${text.slice(1)}` : `¥${text}`;
}
