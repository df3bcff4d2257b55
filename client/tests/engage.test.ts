import { describe, expect, it } from 'vitest'

import { type FlashSale, flashCountdown, formatCountdown, groupSeats, memberPrice, placementUrl } from '../src/lib/engage'

const sale = (state: FlashSale['state']): FlashSale => ({
  id: 'fs1', sku_id: 's1', product_id: 'p1', price_fen: 4900, list_price_fen: 9900, quantity: 100, remaining: 37,
  per_buyer_limit: 1, starts_at: '2026-11-26T10:00:00+08:00', ends_at: '2026-11-26T12:00:00+08:00', state
})

describe('countdowns', () => {
  it('formats hours, minutes and seconds, days in front, never below zero', () => {
    expect(formatCountdown(3725)).toBe('01:02:05')
    expect(formatCountdown(2 * 86400 + 3 * 3600 + 4 * 60 + 5.9)).toBe('2天 03:04:05')
    expect(formatCountdown(-10)).toBe('00:00:00')
  })

  it('counts to the start while upcoming and to the end while running; nothing once over', () => {
    const nineThirty = Date.parse('2026-11-26T09:30:00+08:00')
    expect(flashCountdown(sale('upcoming'), nineThirty)).toEqual({ label: '距开始', seconds: 1800 })
    expect(flashCountdown(sale('running'), Date.parse('2026-11-26T11:59:00+08:00'))).toEqual({ label: '距结束', seconds: 60 })
    expect(flashCountdown(sale('sold_out'), nineThirty)).toBeNull()
    expect(flashCountdown(sale('ended'), nineThirty)).toBeNull()
  })
})

describe('member price', () => {
  it("shows the preview's price beside the SKU's own when the level gives a saving", () => {
    expect(memberPrice({ subtotal_fen: 8910, member_saving_fen: 990 }, 9900)).toEqual({ price: '¥89.10', was: '¥99.00', saving: '¥9.90' })
  })

  it('shows none without a saving', () => {
    expect(memberPrice({ subtotal_fen: 9900, member_saving_fen: 0 }, 9900)).toBeNull()
    expect(memberPrice({ subtotal_fen: 9900 }, 9900)).toBeNull()
  })
})

describe('group seats', () => {
  it('lists the masked members, then the empty seats', () => {
    expect(groupSeats([{ nickname: '张**' }], 3)).toEqual(['张**', '待加入', '待加入'])
  })
})

describe('home placements', () => {
  it('leads a banner to its product, category or mini-program page', () => {
    expect(placementUrl({ target_kind: 'product', target: 'p 1', title: 'x' })).toBe('/pages/product/index?id=p%201&entry=home')
    expect(placementUrl({ target_kind: 'category', target: 'c1', title: '手机' })).toBe('/pages/category/index?id=c1&name=%E6%89%8B%E6%9C%BA')
    expect(placementUrl({ target_kind: 'page', target: '/pages/coupons/index', title: '' })).toBe('/pages/coupons/index')
    expect(placementUrl({ target_kind: 'page', target: 'https://elsewhere.example', title: '' })).toBeNull()
    expect(placementUrl({ target_kind: 'campaign', target: 'k1', title: '' })).toBeNull()
  })
})
