import { Text, View } from '@tarojs/components'
import { useState } from 'react'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { formatFen } from '../../lib/money'
import { useLoad } from '../../lib/useLoad'

interface Template { id: string, name: string, kind: string, amount_fen?: number, threshold_fen?: number, merchant_id: string }
interface Coupon { id: string, name?: string, status: string, expires_at?: string, alipay_voucher?: boolean }

export default function CouponsPage () {
  const [notice, setNotice] = useState<string | null>(null)
  const { data, error, setError, reload } = useLoad(async () => {
    const [offers, mine] = await Promise.all([
      api<{ items: Template[] }>('GET', '/api/coupons/available'),
      api<{ items: Coupon[] }>('GET', '/api/coupons/mine', { query: { status: 'available' } })
    ])
    return { offers: offers.items, mine: mine.items }
  })

  async function claim (template: Template) {
    try {
      await api('POST', `/api/coupons/${template.id}/claim`, { idempotent: true })
      setNotice(`已领取「${template.name}」`)
      await reload()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='coupon-centre'>
      <ErrorLine message={error} />
      {notice && <View className='ok' data-testid='notice'>{notice}</View>}
      {!data && !error && <Loading />}
      {data && (
        <View className='card'>
          <View className='title'>可领取</View>
          {data.offers.length === 0 && <View className='muted'>暂时没有可领的券</View>}
          {data.offers.map(t => (
            <View key={t.id} className='row line' data-testid='offer' data-name={t.name}>
              <View>
                <View>{t.name}</View>
                <Text className='muted'>{t.threshold_fen ? `满${formatFen(t.threshold_fen)}可用` : '无门槛'}</Text>
              </View>
              <View className='btn-ghost' data-testid='claim' onClick={() => claim(t)}>领取</View>
            </View>
          ))}
        </View>
      )}
      {data && (
        <View className='card' data-testid='my-coupons'>
          <View className='title'>我的优惠券</View>
          {data.mine.length === 0 && <View className='muted'>还没有优惠券</View>}
          {data.mine.map(c => (
            <View key={c.id} className='row line' data-testid='my-coupon'>
              <View>
                <Text>{c.name ?? '优惠券'}</Text>
                {/* also in the buyer's Alipay card package (商家券), usable there as well */}
                {c.alipay_voucher && <Text className='ok' data-testid='alipay-voucher'> · 支付宝商家券</Text>}
              </View>
              <Text className='muted'>{c.expires_at ? `${c.expires_at.slice(0, 10)} 到期` : ''}</Text>
            </View>
          ))}
        </View>
      )}
    </View>
  )
}
