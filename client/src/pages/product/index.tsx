import { Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { startCheckout } from '../../lib/basket'
import { messageOf } from '../../lib/errors'
import { formatFen } from '../../lib/money'

interface Sku { id: string, specs?: Record<string, string> | null, price_fen: number, available?: number, deposit_fen?: number }
interface Product { id: string, name: string, merchant_id: string, description?: string, brand?: string, sold?: number, skus: Sku[] }
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

  useEffect(() => {
    api<Product>('GET', `/api/products/${id}`, { entry }).then(found => {
      setProduct(found)
      setSku(found.skus.find(s => (s.available ?? 1) > 0) ?? found.skus[0] ?? null)
    }, e => setError(messageOf(e)))
  }, [id])

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

  if (!product) return <View className='page'><ErrorLine message={error} />{!error && <Loading />}</View>
  return (
    <View className='page' data-testid='product'>
      <View className='card'>
        <View className='product-image' style={{ height: '200px' }}>{product.name.slice(0, 6)}</View>
        <View className='title' data-testid='product-name'>{product.name}</View>
        {sku && <Price fen={sku.price_fen} testId='product-price' />}
        {sku?.deposit_fen ? <View className='muted'>押金 {formatFen(sku.deposit_fen)}（信用好可免押）</View> : null}
        {product.description && <View className='muted'>{product.description}</View>}
      </View>
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
