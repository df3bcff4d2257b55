import { Text, View } from '@tarojs/components'
import { useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { startCheckout } from '../../lib/basket'
import { messageOf } from '../../lib/errors'
import { useLoad } from '../../lib/useLoad'

interface CartLine { sku_id: string, qty: number, merchant_id: string, name: string, unit_price_fen: number, line_fen: number, sellable: boolean }
interface Cart { items: CartLine[], subtotal_fen: number }

export default function CartPage () {
  const { data: cart, error, setError, setData } = useLoad(() => api<Cart>('GET', '/api/cart'))
  const [merchant, setMerchant] = useState<string | null>(null)

  async function change (line: CartLine, qty: number) {
    try {
      setData(qty < 1
        ? await api<Cart>('DELETE', `/api/cart/items/${line.sku_id}`)
        : await api<Cart>('PUT', `/api/cart/items/${line.sku_id}`, { body: { qty } }))
    } catch (e) {
      setError(messageOf(e))
    }
  }

  if (!cart) return <View className='page'><ErrorLine message={error} />{!error && <Loading />}</View>
  // An order is one merchant's: the buyer checks out one shop of the cart at a time.
  const shops = Array.from(new Set(cart.items.filter(l => l.sellable).map(l => l.merchant_id)))
  const chosen = merchant && shops.includes(merchant) ? merchant : shops[0]
  const lines = cart.items.filter(l => l.sellable && l.merchant_id === chosen)
  return (
    <View className='page' data-testid='cart'>
      <ErrorLine message={error} />
      {cart.items.length === 0 && <View className='card muted'>购物车是空的，去首页逛逛吧。</View>}
      {shops.length > 1 && (
        <View className='chips'>
          {shops.map(m => <View key={m} className={`chip ${m === chosen ? 'chip-on' : ''}`} onClick={() => setMerchant(m)}>店铺 {m}</View>)}
        </View>
      )}
      {cart.items.map(line => (
        <View key={line.sku_id} className='card' data-testid='cart-line'>
          <View>{line.name}</View>
          <View className='row'>
            {line.sellable ? <Price fen={line.line_fen} /> : <Text className='muted'>已下架</Text>}
            <View className='row'>
              <View className='chip' onClick={() => change(line, line.qty - 1)}>－</View>
              <Text>{line.qty}</Text>
              <View className='chip' onClick={() => change(line, line.qty + 1)}>＋</View>
            </View>
          </View>
        </View>
      ))}
      {lines.length > 0 && (
        <View className='bottom-bar'>
          {shops.length === 1 ? <Text>合计 <Price fen={cart.subtotal_fen} /></Text> : <Text>{lines.length} 种商品</Text>}
          <View className='btn' data-testid='cart-checkout'
            onClick={() => chosen && startCheckout({ items: lines.map(l => ({ sku_id: l.sku_id, qty: l.qty })), entry: 'other', merchant_id: chosen })}>去结算</View>
        </View>
      )}
    </View>
  )
}
