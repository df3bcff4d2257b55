import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { ORDER_STATUS } from '../../lib/labels'
import { useLoad } from '../../lib/useLoad'

interface OrderLine { name: string, qty: number }
interface Order { id: string, status: string, payable_fen: number, lines?: OrderLine[], created_at: string }

const TABS: Array<[string, string]> = [['', '全部'], ['AWAITING_PAYMENT', '待付款'], ['PAID', '已付款'], ['SHIPPED', '已发货'], ['COMPLETED', '已完成']]

export default function OrdersPage () {
  const [status, setStatus] = useState('')
  const { data, error } = useLoad(() => api<{ items: Order[] }>('GET', '/api/orders', { query: { status, limit: 50 } }), [status])
  return (
    <View className='page' data-testid='orders'>
      <View className='chips'>
        {TABS.map(([value, label]) => <View key={value} className={`chip ${status === value ? 'chip-on' : ''}`} onClick={() => setStatus(value)}>{label}</View>)}
      </View>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data?.items.length === 0 && <View className='card muted'>还没有订单。</View>}
      {data?.items.map(order => (
        <View key={order.id} className='card' data-testid='order-row' data-id={order.id} onClick={() => Taro.navigateTo({ url: `/pages/order/index?id=${order.id}` })}>
          <View className='row'><Text className='muted'>{order.created_at.slice(0, 16).replace('T', ' ')}</Text><Text>{ORDER_STATUS[order.status] ?? '处理中'}</Text></View>
          <View>{(order.lines ?? []).map(l => `${l.name} ×${l.qty}`).join('，')}</View>
          <View className='row'><Text /><Price fen={order.payable_fen} /></View>
        </View>
      ))}
    </View>
  )
}
