// Display helpers for the engagement pieces (flash sales, member prices, group buys). The amounts are the
// server's: the client picks which one to show, never works one out.
import { formatFen } from './money'

export interface FlashSale {
  id: string, sku_id: string, product_id: string, price_fen: number, list_price_fen: number, quantity: number,
  remaining: number, per_buyer_limit: number, starts_at: string, ends_at: string,
  state: 'upcoming' | 'running' | 'sold_out' | 'ended'
}

/** Seconds left as "HH:MM:SS", with days in front past one ("2天 03:04:05"); never below zero. */
export function formatCountdown (seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const two = (n: number) => (n < 10 ? `0${n}` : String(n))
  const days = Math.floor(s / 86400)
  const clock = `${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`
  return days > 0 ? `${days}天 ${clock}` : clock
}

/** What a flash sale's countdown counts to and says: to the start while upcoming, to the end while running. */
export function flashCountdown (sale: FlashSale, nowMs: number): { label: string, seconds: number } | null {
  if (sale.state === 'upcoming') return { label: '距开始', seconds: (Date.parse(sale.starts_at) - nowMs) / 1000 }
  if (sale.state === 'running') return { label: '距结束', seconds: (Date.parse(sale.ends_at) - nowMs) / 1000 }
  return null
}

/** The member price to show from a one-unit preview of a SKU (its `subtotal_fen` counts member prices), or
 * null when the buyer's level gives none. `listFen` is the SKU's own price. */
export function memberPrice (preview: { subtotal_fen: number, member_saving_fen?: number }, listFen: number): { price: string, was: string, saving: string } | null {
  const saving = preview.member_saving_fen ?? 0
  if (saving <= 0) return null
  return { price: formatFen(preview.subtotal_fen), was: formatFen(listFen), saving: formatFen(saving) }
}

/** The masked member names of a group with the empty seats after them ("张**", "李**", "待加入"). */
export function groupSeats (members: Array<{ nickname: string }>, size: number): string[] {
  const seats = members.map(m => m.nickname)
  while (seats.length < size) seats.push('待加入')
  return seats
}

/** A banner or a collection; `target` is a product id, category id, campaign id or mini-program path by `target_kind`. */
export interface Placement {
  id: string, kind: string, title: string, image?: string | null,
  target_kind: 'product' | 'category' | 'campaign' | 'page', target: string, products?: Array<{ id: string, name: string, price_fen: number, image?: string | null, sold?: number }>
}
/** The page a banner or collection leads to (null when it leads nowhere the client knows). */
export function placementUrl (p: Pick<Placement, 'target_kind' | 'target' | 'title'>): string | null {
  const target = encodeURIComponent(p.target)
  if (p.target_kind === 'product') return `/pages/product/index?id=${target}&entry=home`
  if (p.target_kind === 'category') return `/pages/category/index?id=${target}&name=${encodeURIComponent(p.title)}`
  if (p.target_kind === 'page') return p.target.startsWith('/pages/') ? p.target : null
  return null // a campaign has no page of its own in the client yet
}
