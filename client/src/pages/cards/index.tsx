import { Text, View } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { formatFenOrDash } from '../../lib/money'
import { useLoad } from '../../lib/useLoad'

interface Card { merchant_id: string, merchant_name?: string, level: number | null, points: number | null, balance_fen: number | null, opened_at?: string }

export default function CardsPage () {
  // Opened from a shop (product page or a scanned link) with its merchant_id: open that card first (opening
  // again answers the same card), then list them all.
  const { merchant_id: merchantId } = useRouter().params
  const { data, error } = useLoad(async () => {
    if (merchantId) await api('POST', `/api/merchants/${encodeURIComponent(merchantId)}/card`)
    return await api<{ items: Card[] }>('GET', '/api/me/cards')
  }, [merchantId])
  return (
    <View className='page' data-testid='cards'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <View className='card muted'>还没有会员卡。在商品页可以开通店铺会员卡。</View>}
      {data?.items.map(card => (
        <View key={card.merchant_id} className='card' data-testid='member-card' data-merchant={card.merchant_id}>
          <View className='title'>{card.merchant_name ?? '店铺'}会员卡</View>
          <View className='row'>
            <View><View className='big' data-testid='card-level'>{card.level !== null ? `V${card.level}` : '—'}</View><Text className='muted'>等级</Text></View>
            <View><View className='big'>{card.points ?? '—'}</View><Text className='muted'>积分</Text></View>
            <View><View className='big'>{formatFenOrDash(card.balance_fen)}</View><Text className='muted'>余额</Text></View>
          </View>
        </View>
      ))}
    </View>
  )
}
