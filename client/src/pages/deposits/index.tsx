import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { DEPOSIT_STATUS } from '../../lib/labels'
import { useLoad } from '../../lib/useLoad'

interface Deposit { order_id: string, amount_fen: number, status: string, credit_score?: number | null, created_at: string, released_at?: string | null }

export default function DepositsPage () {
  const { data, error } = useLoad(() => api<{ items: Deposit[] }>('GET', '/api/me/deposits'))
  return (
    <View className='page' data-testid='deposits'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <View className='card muted' data-testid='no-deposits'>没有押金记录。租赁商品的押金会显示在这里，信用好可免押。</View>}
      {data?.items.map(d => (
        <View key={d.order_id} className='card' data-testid='deposit' data-status={d.status} onClick={() => Taro.navigateTo({ url: `/pages/order/index?id=${d.order_id}` })}>
          <View className='row'><Text>押金</Text><Price fen={d.amount_fen} /></View>
          <View className='row'><Text className='muted'>{d.created_at.slice(0, 10)}</Text><Text>{DEPOSIT_STATUS[d.status] ?? d.status}</Text></View>
        </View>
      ))}
    </View>
  )
}
