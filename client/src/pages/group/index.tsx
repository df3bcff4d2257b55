import { Text, View } from '@tarojs/components'
import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { startCheckout } from '../../lib/basket'
import { formatCountdown, groupSeats } from '../../lib/engage'
import { useLoad } from '../../lib/useLoad'

interface Member { nickname: string, opener: boolean, paid: boolean, is_me: boolean }
interface GroupBuy {
  id: string, deal_id: string, sku_id: string, group_price_fen: number, size: number, status: 'open' | 'succeeded' | 'failed',
  members: Member[], seats_left: number, joined_by_me: boolean, expires_at: string, seconds_left: number
}

const STATUS: Record<GroupBuy['status'], string> = { open: '拼团中', succeeded: '拼团成功', failed: '拼团失败，已付款项原路退回' }
const groupPage = (id: string) => `/pages/group/index?id=${encodeURIComponent(id)}`

/** A group buy (拼团): who is in (masked names), seats left and the time left; the buyer shares it, a friend joins. */
export default function GroupPage () {
  const { id = '' } = useRouter().params
  const { data: group, error } = useLoad(() => api<GroupBuy>('GET', `/api/group-buys/${encodeURIComponent(id)}`), [id])
  const [loadedAt, setLoadedAt] = useState(Date.now())
  const [now, setNow] = useState(Date.now())

  useEffect(() => {
    if (!group) return
    setLoadedAt(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [group])

  useShareAppMessage(() => ({ title: '一起拼团，更优惠', path: groupPage(id) }))

  function join () {
    if (!group) return
    startCheckout({ items: [{ sku_id: group.sku_id, qty: 1 }], entry: 'other', merchant_id: '', group_buy: { group_id: group.id } })
  }

  const link = group && process.env.TARO_ENV === 'h5' ? `${window.location.origin}${window.location.pathname}#${groupPage(group.id)}` : null
  const secondsLeft = group ? group.seconds_left - (now - loadedAt) / 1000 : 0
  return (
    <View className='page' data-testid='group-buy'>
      <ErrorLine message={error} />
      {!group && !error && <Loading />}
      {group && (
        <View className='card' data-status={group.status} data-seats-left={group.seats_left}>
          <View className='row'><Text className='title'>{group.size} 人团</Text><Price fen={group.group_price_fen} testId='group-price' /></View>
          <View data-testid='group-status'>{STATUS[group.status]}</View>
          {group.status === 'open' && (
            <View className='muted' data-testid='group-left'>还差 {group.seats_left} 人 · 剩余 {formatCountdown(secondsLeft)}</View>
          )}
          <View className='chips' data-testid='group-members'>
            {groupSeats(group.members, group.size).map((name, n) => (
              <Text key={n} className={`chip ${group.members[n]?.is_me ? 'chip-on' : ''}`}>{name}{group.members[n]?.opener ? '（团长）' : ''}</Text>
            ))}
          </View>
          {group.status === 'open' && group.joined_by_me && (link
            ? <View className='muted' data-testid='share-link' data-link={link} onClick={() => Taro.setClipboardData({ data: link })}>邀请好友参团（点击复制链接）：<Text>{link}</Text></View>
            : <View className='muted'>点击右上角“分享”，邀请好友参团。</View>)}
          {group.status === 'open' && !group.joined_by_me && group.seats_left > 0 && (
            <View className='btn btn-block' data-testid='join-group-buy' onClick={join}>参加拼团</View>
          )}
        </View>
      )}
    </View>
  )
}
