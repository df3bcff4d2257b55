import { Text, View } from '@tarojs/components'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { useLoad } from '../../lib/useLoad'

interface Entry { kind: string, delta: number, pending: number, order_id?: string | null, at: string }
interface Points { balance: number, pending: number, locked?: number, entries: Entry[] }
interface Me { level: number | null }

const KIND: Record<string, string> = { earn: '下单获得', release: '积分到账', spend: '下单抵扣', clawback: '退款扣回', repay: '抵还欠分', refund: '退款退回' }

export default function PointsPage () {
  const { data, error } = useLoad(async () => {
    const [points, me] = await Promise.all([api<Points>('GET', '/api/me/points'), api<Me>('GET', '/api/me')])
    return { points, level: me.level }
  })
  return (
    <View className='page' data-testid='points'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && (
        <View className='card'>
          <View className='row'>
            <View><View className='big' data-testid='points-balance'>{data.points.balance}</View><Text className='muted'>可用积分</Text></View>
            <View><View className='big' data-testid='points-pending'>{data.points.pending}</View><Text className='muted'>待到账</Text></View>
            <View><View className='big' data-testid='level'>{data.level !== null ? `V${data.level}` : '—'}</View><Text className='muted'>会员等级</Text></View>
          </View>
          <View className='muted'>下单时可用积分抵扣；订单完成后，待到账的积分才会到账。</View>
        </View>
      )}
      {data && data.points.entries.length > 0 && (
        <View className='card' data-testid='points-entries'>
          <View className='title'>明细</View>
          {data.points.entries.map((e, i) => (
            <View key={`${e.at}-${i}`} className='row line'>
              <View><Text>{KIND[e.kind] ?? '积分变动'}</Text><View className='muted'>{e.at.slice(0, 16).replace('T', ' ')}</View></View>
              <Text>{e.delta !== 0 ? `${e.delta > 0 ? '+' : ''}${e.delta}` : `待到账 ${e.pending > 0 ? '+' : ''}${e.pending}`}</Text>
            </View>
          ))}
        </View>
      )}
    </View>
  )
}
