import { Text, View } from '@tarojs/components'
import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { useState } from 'react'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { useLoad } from '../../lib/useLoad'

interface Group {
  id: string, sharer?: { nickname: string } | null, is_sharer?: boolean | null, joined_by_me?: boolean | null,
  joined: number, needed: number, unlocked: boolean, friend_coupon_id?: string | null
}

const groupPage = (id: string) => `/pages/fission/index?group_id=${encodeURIComponent(id)}`

/** A fission (share) group. Opened with `campaign_id` (the merchant's poster or link): the buyer's own group,
 * to share. Opened with `group_id` (a friend's share): that group, to join. */
export default function FissionPage () {
  const { campaign_id: campaignId, group_id: groupId } = useRouter().params
  const [notice, setNotice] = useState<string | null>(null)
  const { data: group, error, setError, setData } = useLoad(() => campaignId
    ? api<Group>('POST', `/api/fission/${encodeURIComponent(campaignId)}`)
    : api<Group>('GET', `/api/fission/groups/${encodeURIComponent(groupId ?? '')}`), [campaignId, groupId])

  useShareAppMessage(() => ({ title: '帮我助力，一起领优惠券', path: group ? groupPage(group.id) : '/pages/home/index' }))

  async function join () {
    if (!group) return
    try {
      const joined = await api<Group>('POST', `/api/fission/groups/${group.id}/join`)
      setData(joined)
      setNotice(joined.friend_coupon_id ? '助力成功，送你一张优惠券，已放进“我的优惠券”。' : '助力成功，谢谢你！')
    } catch (e) {
      setError(messageOf(e))
    }
  }

  // In a browser there is no Alipay share sheet: the link to pass on is shown instead.
  const link = group && process.env.TARO_ENV === 'h5' ? `${window.location.origin}${window.location.pathname}#${groupPage(group.id)}` : null
  return (
    <View className='page' data-testid='fission'>
      <ErrorLine message={error} />
      {!group && !error && <Loading />}
      {group && (
        <View className='card' data-testid='group' data-joined={group.joined} data-unlocked={group.unlocked ? '1' : '0'}>
          <View className='title'>{group.is_sharer ? '邀请好友助力' : `${group.sharer?.nickname ?? '好友'}邀你助力`}</View>
          <View className='big' data-testid='group-progress'>{group.joined} / {group.needed}</View>
          <View className='muted'>
            {group.unlocked ? '助力已完成，奖励优惠券已发放。' : `还差 ${Math.max(group.needed - group.joined, 0)} 位好友助力`}
          </View>
          {group.is_sharer && !group.unlocked && (
            <View>
              {link
                ? <View className='muted' data-testid='share-link' data-link={link} onClick={() => Taro.setClipboardData({ data: link })}>分享链接（点击复制）：<Text>{link}</Text></View>
                : <View className='muted'>点击右上角“分享”，发给好友。</View>}
            </View>
          )}
          {!group.is_sharer && !group.joined_by_me && !group.unlocked && (
            <View className='btn btn-block' data-testid='join-group' onClick={join}>为 TA 助力</View>
          )}
          {!group.is_sharer && group.joined_by_me && <View className='ok'>你已为 TA 助力。</View>}
        </View>
      )}
      {notice && <View className='ok' data-testid='notice'>{notice}</View>}
    </View>
  )
}
