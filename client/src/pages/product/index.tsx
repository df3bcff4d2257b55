import { Image, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { startCheckout } from '../../lib/basket'
import { type FlashSale, flashCountdown, formatCountdown, memberPrice } from '../../lib/engage'
import { messageOf } from '../../lib/errors'
import { formatFen } from '../../lib/money'

interface Sku { id: string, specs?: Record<string, string> | null, price_fen: number, available?: number, deposit_fen?: number }
interface Product { id: string, name: string, merchant_id: string, description?: string, brand?: string, sold?: number, skus: Sku[], flash_sale?: FlashSale | null }
interface Review { id: string, rating: number, specs?: Record<string, string> | null, text?: string | null, images?: string[], reply?: { text: string } | null, followup?: { text: string } | null }
interface Reviews { average: number | null, count: number, stars: Record<string, number>, with_images: number, items: Review[] }
interface Deal { id: string, sku_id: string, name?: string | null, group_price_fen: number, group_size: number, time_limit_hours: number }
interface Plan { installments: number, fee_payer: 'buyer' | 'merchant', fee_fen: number, per_period_fen: number[] }

export function specText (specs: Sku['specs']): string {
  const values = Object.values(specs ?? {})
  return values.length ? values.join(' / ') : '默认'
}

export default function ProductPage () {
  const { id = '', entry = 'other' } = useRouter().params
  const [product, setProduct] = useState<Product | null>(null)
  const [sku, setSku] = useState<Sku | null>(null)
  const [qty, setQty] = useState(1)
  const [plans, setPlans] = useState<Plan[]>([])
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [reviews, setReviews] = useState<Reviews | null>(null)
  const [member, setMember] = useState<ReturnType<typeof memberPrice>>(null)
  const [deals, setDeals] = useState<Deal[]>([])
  const [now, setNow] = useState(Date.now())

  useEffect(() => {
    api<Product>('GET', `/api/products/${id}`, { entry }).then(found => {
      setProduct(found)
      setSku(found.skus.find(s => s.id === found.flash_sale?.sku_id) ?? found.skus.find(s => (s.available ?? 1) > 0) ?? found.skus[0] ?? null)
    }, e => setError(messageOf(e)))
    api<Reviews>('GET', `/api/products/${id}/reviews`, { query: { page_size: 5 } }).then(setReviews, () => setReviews(null))
  }, [id])

  useEffect(() => { // the flash sale's countdown ticks once a second while one is on the page
    if (!product?.flash_sale) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [product?.flash_sale?.id])

  useEffect(() => { // the buyer's member price (the server's one-unit preview) and running group deals of this SKU
    if (!sku) return
    setMember(null)
    api<{ subtotal_fen: number, member_saving_fen?: number }>('POST', '/api/checkout/preview', { body: { items: [{ sku_id: sku.id, qty: 1 }] } })
      .then(preview => setMember(memberPrice(preview, sku.price_fen)), () => setMember(null))
    api<{ items: Deal[] }>('GET', '/api/group-buy/deals', { query: { sku_id: sku.id } }).then(answer => setDeals(answer.items), () => setDeals([]))
  }, [sku?.id])

  useEffect(() => { // the Huabei plans the merchant offers at this SKU's price (checkout shows the order's)
    if (!product || !sku) return
    api<{ plans: Plan[] }>('GET', '/api/installment-plans', { query: { amount_fen: sku.price_fen, merchant_id: product.merchant_id } })
      .then(answer => setPlans(answer.plans), () => setPlans([]))
  }, [product, sku])

  async function addToCart () {
    if (!sku) return
    try {
      await api('PUT', `/api/cart/items/${sku.id}`, { body: { qty } })
      setNotice('已加入购物车')
      setError(null)
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function favourite () {
    try {
      await api('PUT', `/api/favorites/products/${id}`)
      setNotice('已收藏')
    } catch (e) {
      setError(messageOf(e))
    }
  }

  function buyFlash (sale: FlashSale) {
    if (!product) return
    startCheckout({ items: [{ sku_id: sale.sku_id, qty: 1 }], entry, merchant_id: product.merchant_id, flash_sale_id: sale.id })
  }

  function openGroup (deal: Deal) {
    if (!product) return
    startCheckout({ items: [{ sku_id: deal.sku_id, qty: 1 }], entry, merchant_id: product.merchant_id, group_buy: { deal_id: deal.id } })
  }

  if (!product) return <View className='page'><ErrorLine message={error} />{!error && <Loading />}</View>
  return (
    <View className='page' data-testid='product'>
      <View className='card'>
        <View className='product-image' style={{ height: '200px' }}>{product.name.slice(0, 6)}</View>
        <View className='title' data-testid='product-name'>{product.name}</View>
        {sku && <Price fen={sku.price_fen} testId='product-price' />}
        {member && <View className='member-price' data-testid='member-price'>会员价 <Text className='price'>{member.price}</Text> <Text className='muted'>（原价 {member.was}，省 {member.saving}）</Text></View>}
        {sku?.deposit_fen ? <View className='muted'>押金 {formatFen(sku.deposit_fen)}（信用好可免押）</View> : null}
        {product.description && <View className='muted'>{product.description}</View>}
      </View>
      {product.flash_sale && <FlashCard sale={product.flash_sale} now={now} onBuy={buyFlash} />}
      {deals.length > 0 && (
        <View className='card' data-testid='group-deals'>
          <View className='title'>拼团</View>
          {deals.map(d => (
            <View key={d.id} className='row line'>
              <Text>{d.group_size} 人团 <Text className='price'>{formatFen(d.group_price_fen)}</Text> · {d.time_limit_hours} 小时内成团</Text>
              <View className='btn' data-testid='open-group' onClick={() => openGroup(d)}>发起拼团</View>
            </View>
          ))}
        </View>
      )}
      <View className='card' data-testid='skus'>
        <View className='title'>规格</View>
        <View className='chips'>
          {product.skus.map(s => (
            <View key={s.id} data-testid='sku' className={`chip ${sku?.id === s.id ? 'chip-on' : ''}`} onClick={() => setSku(s)}>
              {specText(s.specs)} {formatFen(s.price_fen)}{s.available === 0 ? '（缺货）' : ''}
            </View>
          ))}
        </View>
        <View className='row'>
          <Text>数量</Text>
          <View className='row'>
            <View className='chip' onClick={() => setQty(Math.max(1, qty - 1))}>－</View>
            <Text data-testid='qty'>{qty}</Text>
            <View className='chip' onClick={() => setQty(Math.min(99, qty + 1))}>＋</View>
          </View>
        </View>
      </View>
      {plans.length > 0 && (
        <View className='card' data-testid='huabei-plans'>
          <View className='title'>花呗分期</View>
          {plans.map(p => (
            <View key={p.installments} className='row line'>
              <Text>{p.installments} 期 × {formatFen(p.per_period_fen[p.per_period_fen.length - 1])}</Text>
              <Text className='muted'>{p.fee_fen === 0 ? '免息' : `手续费 ${formatFen(p.fee_fen)}`}</Text>
            </View>
          ))}
        </View>
      )}
      {reviews && <ReviewsCard reviews={reviews} />}
      <View className='card row' data-testid='open-card' onClick={() => Taro.navigateTo({ url: `/pages/cards/index?merchant_id=${encodeURIComponent(product.merchant_id)}` })}>
        <Text>开通本店会员卡，积分和等级一卡通</Text><Text className='muted'>›</Text>
      </View>
      <ErrorLine message={error} />
      {notice && <View className='ok' data-testid='notice'>{notice}</View>}
      <View className='bottom-bar'>
        <View className='btn-ghost' onClick={favourite}>收藏</View>
        <View className='btn-ghost' onClick={() => Taro.switchTab({ url: '/pages/cart/index' })}>购物车</View>
        <View className='btn-ghost' data-testid='add-to-cart' onClick={addToCart}>加入购物车</View>
        <View className='btn' data-testid='buy-now' onClick={() => sku && startCheckout({ items: [{ sku_id: sku.id, qty }], entry, merchant_id: product.merchant_id })}>立即购买</View>
      </View>
    </View>
  )
}

function FlashCard ({ sale, now, onBuy }: { sale: FlashSale, now: number, onBuy: (sale: FlashSale) => void }) {
  const countdown = flashCountdown(sale, now)
  return (
    <View className='card flash' data-testid='flash-sale' data-state={sale.state}>
      <View className='row'>
        <Text className='title'>限时秒杀 <Text className='price'>{formatFen(sale.price_fen)}</Text> <Text className='muted strike'>{formatFen(sale.list_price_fen)}</Text></Text>
        {countdown && <Text data-testid='flash-countdown'>{countdown.label} {formatCountdown(countdown.seconds)}</Text>}
      </View>
      <View className='row'>
        <Text className='muted'>剩余 {sale.remaining} / {sale.quantity} 件 · 每人限购 {sale.per_buyer_limit} 件</Text>
        {sale.state === 'running' && sale.remaining > 0 && countdown && countdown.seconds > 0
          ? <View className='btn' data-testid='buy-flash' onClick={() => onBuy(sale)}>立即抢购</View>
          : <Text className='muted'>{sale.state === 'upcoming' ? '即将开始' : '已抢光'}</Text>}
      </View>
    </View>
  )
}

function ReviewsCard ({ reviews }: { reviews: Reviews }) {
  return (
    <View className='card' data-testid='reviews'>
      <View className='row'>
        <Text className='title'>评价（{reviews.count}）</Text>
        <Text data-testid='reviews-average'>{reviews.average === null ? '暂无评分' : `${reviews.average} 分`}</Text>
      </View>
      <View className='chips'>
        {['5', '4', '3', '2', '1'].map(star => <Text key={star} className='chip'>{star}星 {reviews.stars[star] ?? 0}</Text>)}
        {reviews.with_images > 0 && <Text className='chip'>有图 {reviews.with_images}</Text>}
      </View>
      {reviews.items.map(r => (
        <View key={r.id} className='line' data-testid='review'>
          <View className='row'><Text className='muted'>{specText(r.specs ?? null)}</Text><Text className='price'>{'★'.repeat(r.rating)}</Text></View>
          {r.text && <View>{r.text}</View>}
          {(r.images ?? []).length > 0 && (
            <View className='chips'>{(r.images ?? []).map(url => <Image key={url} className='review-image' src={url} mode='aspectFill' />)}</View>
          )}
          {r.followup && <View className='muted'>追评：{r.followup.text}</View>}
          {r.reply && <View className='muted'>商家回复：{r.reply.text}</View>}
        </View>
      ))}
    </View>
  )
}
