import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useMemo, useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { checkoutBasket } from '../../lib/basket'
import { payOrder } from '../../lib/deposit'
import { ApiError, messageOf } from '../../lib/errors'
import { CANCEL_REASON, CREDIT_TIER } from '../../lib/labels'
import { formatFen } from '../../lib/money'

interface Address { id: string, name: string, phone: string, province: string, city: string, district: string, detail: string, is_default: boolean }
interface Option { method: 'express' | 'pickup', store_id?: string, name?: string, address?: string, freight_fen: number }
interface UsableCoupon { id: string, name: string, discount_fen: number }
interface Preview { subtotal_fen: number, discount_fen: number, points_fen: number, freight_fen: number, payable_fen: number, usable_coupons: UsableCoupon[], delivery_options: Option[] }
interface Credit { limit_fen: number, used_fen: number, available_fen: number }
interface Plan { installments: 3 | 6 | 12, fee_payer: string, fee_fen: number, per_period_fen: number[] }
type Delivery = { method: 'express', address_id: string } | { method: 'pickup', store_id: string }
type Method = 'alipay' | 'huabei' | 'balance' | 'pay_later'

const METHODS: Array<[Method, string]> = [['alipay', '支付宝'], ['huabei', '花呗分期'], ['balance', '余额'], ['pay_later', '先享后付']]

export default function CheckoutPage () {
  const basket = useMemo(checkoutBasket, [])
  const [addresses, setAddresses] = useState<Address[]>([])
  const [points, setPoints] = useState(0)
  const [creditTier, setCreditTier] = useState<string | null>(null)
  const [credit, setCredit] = useState<Credit | null>(null)
  const [delivery, setDelivery] = useState<Delivery | null>(null)
  const [couponId, setCouponId] = useState<string | null>(null)
  const [usePoints, setUsePoints] = useState(false)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [plans, setPlans] = useState<Plan[]>([])
  const [method, setMethod] = useState<Method>('alipay')
  const [installments, setInstallments] = useState<3 | 6 | 12 | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    Promise.all([api<{ items: Address[] }>('GET', '/api/me/addresses'), api<{ points: number | null, credit_tier: string | null }>('GET', '/api/me')])
      .then(([book, me]) => {
        setAddresses(book.items)
        setPoints(me.points ?? 0)
        setCreditTier(me.credit_tier)
        if (book.items[0]) setDelivery({ method: 'express', address_id: book.items[0].id })
      }, e => setError(messageOf(e)))
  }, [])

  useEffect(() => { // the server prices every choice: goods, coupon, points, freight
    if (basket.items.length === 0) return
    api<Preview>('POST', '/api/checkout/preview', {
      body: { items: basket.items, coupon_id: couponId ?? undefined, points: usePoints && points > 0 ? points : undefined, delivery: delivery ?? undefined, flash_sale_id: basket.flash_sale_id, group_buy: basket.group_buy }
    }).then(answer => {
      setPreview(answer)
      setError(null)
      if (!delivery) { // no address yet: the first pickup store, if the shop has one
        const pickup = answer.delivery_options.find(o => o.method === 'pickup' && o.store_id)
        if (pickup?.store_id) setDelivery({ method: 'pickup', store_id: pickup.store_id })
      }
    }, e => setError(messageOf(e)))
  }, [basket, couponId, usePoints, points, delivery])

  useEffect(() => { // Huabei: the plans this merchant offers for the amount to pay
    if (!preview || !basket.merchant_id) return
    api<{ plans: Plan[] }>('GET', '/api/installment-plans', { query: { amount_fen: preview.payable_fen, merchant_id: basket.merchant_id } })
      .then(answer => setPlans(answer.plans), () => setPlans([]))
  }, [preview?.payable_fen, basket.merchant_id])

  useEffect(() => { // pay-later: the buyer's credit line (limit from the credit tier, less unpaid bills)
    if (method !== 'pay_later' || credit) return
    api<{ credit: Credit }>('GET', '/api/me/bills').then(answer => setCredit(answer.credit), () => setCredit(null))
  }, [method, credit])

  async function submit () {
    if (busy || !preview) return
    if (method === 'huabei' && !installments) { setError('请选择花呗分期的期数。'); return }
    setBusy(true)
    setError(null)
    try {
      const placed = await api<{ id: string, status: string, reason?: string, group_buy?: { group_id: string } | null }>('POST', '/api/orders', {
        idempotent: true,
        entry: basket.entry,
        body: { items: basket.items, coupon_id: couponId ?? undefined, points: usePoints && points > 0 ? points : undefined, delivery: delivery ?? undefined, entry: basket.entry, flash_sale_id: basket.flash_sale_id, group_buy: basket.group_buy }
      })
      if (placed.status === 'CANCELLED') throw new ApiError(409, { detail: CANCEL_REASON[placed.reason ?? ''] ?? '订单未能创建，请重试。' })
      if (placed.status === 'PENDING') { // decided in a moment: the order page shows it
        void Taro.redirectTo({ url: `/pages/order/index?id=${placed.id}` })
        return
      }
      // A group buy goes on to its group page (members, seats left, share) once paid. A rental of a merchant with
      // Sesame deposit-free on has its deposit frozen first, not paid: the buyer confirms the freeze, then the
      // deposit page pays the rent.
      const done = placed.group_buy ? `/pages/group/index?id=${placed.group_buy.group_id}` : `/pages/paid/index?order_id=${placed.id}`
      await payOrder(placed.id, method === 'huabei' ? { method, installments: installments ?? undefined } : { method }, done)
    } catch (e) {
      setError(messageOf(e))
      setBusy(false)
    }
  }

  if (basket.items.length === 0) return <View className='page muted'>没有要结算的商品。</View>
  const address = delivery?.method === 'express' ? addresses.find(a => a.id === delivery.address_id) : null
  const pickups = preview?.delivery_options.filter(o => o.method === 'pickup') ?? []
  return (
    <View className='page' data-testid='checkout'>
      <View className='card' data-testid='delivery'>
        <View className='title'>配送方式</View>
        <View className='chips'>
          {addresses.map(a => (
            <View key={a.id} className={`chip ${address?.id === a.id ? 'chip-on' : ''}`} onClick={() => setDelivery({ method: 'express', address_id: a.id })}>
              快递：{a.name} {a.city}{a.district}{a.detail}
            </View>
          ))}
          {pickups.map(o => (
            <View key={o.store_id} data-testid='pickup-option' className={`chip ${delivery?.method === 'pickup' && delivery.store_id === o.store_id ? 'chip-on' : ''}`}
              onClick={() => o.store_id && setDelivery({ method: 'pickup', store_id: o.store_id })}>
              到店自提：{o.name}
            </View>
          ))}
        </View>
        <View className='muted' onClick={() => Taro.navigateTo({ url: '/pages/addresses/index' })}>管理收货地址</View>
      </View>
      {!preview && !error && <Loading />}
      {preview && !basket.flash_sale_id && !basket.group_buy && (
        <View className='card' data-testid='coupons'>
          <View className='title'>优惠券</View>
          {preview.usable_coupons.length === 0 && <View className='muted'>没有可用的优惠券</View>}
          <View className='chips'>
            {preview.usable_coupons.map(c => (
              <View key={c.id} data-testid='coupon-option' className={`chip ${couponId === c.id ? 'chip-on' : ''}`} onClick={() => setCouponId(couponId === c.id ? null : c.id)}>
                {c.name} 省{formatFen(c.discount_fen)}
              </View>
            ))}
          </View>
          {points > 0 && (
            <View className='chips'>
              <View data-testid='use-points' className={`chip ${usePoints ? 'chip-on' : ''}`} onClick={() => setUsePoints(!usePoints)}>
                使用积分（共 {points} 分）
              </View>
            </View>
          )}
        </View>
      )}
      {preview && (
        <View className='card' data-testid='methods'>
          <View className='title'>付款方式</View>
          <View className='chips'>
            {METHODS.map(([m, label]) => (
              <View key={m} data-testid={`method-${m}`} className={`chip ${method === m ? 'chip-on' : ''}`} onClick={() => setMethod(m)}>{label}</View>
            ))}
          </View>
          {method === 'pay_later' && (
            <View className='muted' data-testid='pay-later-credit'>
              信用等级：{creditTier ? CREDIT_TIER[creditTier] ?? '—' : '暂无'}
              {credit && ` · 可用额度 ${formatFen(credit.available_fen)}（总额度 ${formatFen(credit.limit_fen)}）`}
              {credit && preview.payable_fen > credit.available_fen && ' · 额度不足，请换一种付款方式。'}
            </View>
          )}
          {method === 'huabei' && plans.length === 0 && <View className='muted'>这笔订单暂不支持花呗分期。</View>}
          {method === 'huabei' && (
            <View className='chips'>
              {plans.map(p => (
                <View key={p.installments} data-testid={`plan-${p.installments}`} className={`chip ${installments === p.installments ? 'chip-on' : ''}`} onClick={() => setInstallments(p.installments)}>
                  {p.installments} 期 · 每期 {formatFen(p.per_period_fen[p.per_period_fen.length - 1])} · {p.fee_fen === 0 ? '免息' : `手续费 ${formatFen(p.fee_fen)}`}
                </View>
              ))}
            </View>
          )}
        </View>
      )}
      {preview && (
        <View className='card' data-testid='amounts'>
          <View className='row'><Text>商品金额</Text><Price fen={preview.subtotal_fen} /></View>
          <View className='row'><Text>优惠券</Text><Text data-testid='discount' data-fen={preview.discount_fen}>-{formatFen(preview.discount_fen)}</Text></View>
          <View className='row'><Text>积分抵扣</Text><Text>-{formatFen(preview.points_fen)}</Text></View>
          <View className='row'><Text>运费</Text><Text>{formatFen(preview.freight_fen)}</Text></View>
        </View>
      )}
      {basket.group_buy && <View className='muted' data-testid='group-buy-note'>拼团价，一人限一件，不可使用优惠券和积分。</View>}
      <ErrorLine message={error} />
      {preview && (
        <View className='bottom-bar'>
          <Text>应付 <Price fen={preview.payable_fen} testId='payable' /></Text>
          <View className='btn' data-testid='submit-order' onClick={submit}>{busy ? '提交中…' : '提交订单'}</View>
        </View>
      )}
    </View>
  )
}
