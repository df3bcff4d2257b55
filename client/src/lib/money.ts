// Money comes from the server in integer fen; the client only formats it (never adds, discounts or rounds).

/** 12345 -> "¥123.45"; -500 -> "-¥5.00". Integer arithmetic only, so no float ever shows as 0.30000000000000004. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) {
    throw new TypeError(`an amount in fen must be an integer, got ${String(fen)}`)
  }
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  const yuan = Math.floor(abs / 100)
  const cents = abs % 100
  return `${sign}¥${yuan}.${cents < 10 ? '0' : ''}${cents}`
}

/** An amount the server may leave out (null while unknown): a dash instead of a made-up zero. */
export function formatFenOrDash(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '—' : formatFen(fen)
}
