import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { CREDIT_TIER } from '../../lib/labels'
import { formatFenOrDash } from '../../lib/money'
import { alipay } from '../../lib/platform'
import { useLoad } from '../../lib/useLoad'

interface Me { user: { id: string, nickname: string }, level: number | null, points: number | null, balance_fen: number | null, credit_tier: string | null }

const LINKS: Array<[string, string, string]> = [
  ['/pages/points/index', '积分与等级', 'link-points'], ['/pages/balance/index', '余额与充值', 'link-balance'],
  ['/pages/bills/index', '先享后付账单', 'link-bills'], ['/pages/deposits/index', '押金', 'link-deposits'],
  ['/pages/cards/index', '会员卡', 'link-cards'], ['/pages/coupons/index', '领券中心', 'link-coupons'],
  ['/pages/favorites/index', '我的收藏', 'link-favorites'], ['/pages/footprints/index', '我的足迹', 'link-footprints'], ['/pages/addresses/index', '收货地址', 'link-addresses'],
  ['/pages/stores/index', '附近门店', 'link-stores']
]

export default function MePage () {
  const { data: me, error } = useLoad(() => api<Me>('GET', '/api/me'))
  const [scanned, setScanned] = useState<string | null>(null)

  async function scan () {
    const code = await alipay.scan()
    if (!code) return
    try {
      const found = await api<{ kind: string, target: Record<string, any> }>('POST', '/api/scan', { body: { code }, entry: 'scan' })
      if (found.kind === 'product' && found.target.product_id) void Taro.navigateTo({ url: `/pages/product/index?id=${found.target.product_id}&entry=scan` })
      else if (found.kind === 'page' && typeof found.target.page === 'string') void Taro.navigateTo({ url: `/${found.target.page.replace(/^\/+/, '')}` }) // e.g. a fission poster
      else setScanned(found.kind === 'store_coupon' ? '门店优惠券已领取，下单时可用。' : '没有认出这个码。')
    } catch (e) {
      setScanned(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='me'>
      <ErrorLine message={error} />
      {!me && !error && <Loading />}
      {me && (
        <View className='card'>
          <View className='title big' data-testid='nickname'>{me.user.nickname}</View>
          <View className='muted'>会员等级 {me.level ?? '—'} · 信用 {me.credit_tier ? CREDIT_TIER[me.credit_tier] : '—'}</View>
          <View className='row' style={{ marginTop: '12px' }}>
            <View><View className='big' data-testid='me-points'>{me.points ?? '—'}</View><Text className='muted'>积分</Text></View>
            <View><View className='big' data-testid='me-balance'>{formatFenOrDash(me.balance_fen)}</View><Text className='muted'>余额</Text></View>
          </View>
        </View>
      )}
      <View className='card'>
        <View className='row line' onClick={() => Taro.switchTab({ url: '/pages/orders/index' })}><Text>我的订单</Text><Text className='muted'>›</Text></View>
        {LINKS.map(([url, label, testId]) => <View key={url} className='row line' data-testid={testId} onClick={() => Taro.navigateTo({ url })}><Text>{label}</Text><Text className='muted'>›</Text></View>)}
        <View className='row line' onClick={scan}><Text>扫一扫</Text><Text className='muted'>›</Text></View>
        {scanned && <View className='muted'>{scanned}</View>}
      </View>
    </View>
  )
}
