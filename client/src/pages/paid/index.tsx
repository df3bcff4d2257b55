import { Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading, Price, ProductGrid, type ProductCard } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { PAY_METHOD } from '../../lib/labels'
import { afterPayingTemplates, subscribe } from '../../lib/subscribe'

interface Payment { method?: string, amount_fen?: number, plan?: { installments: number } | null }
interface Checked { status: string, payment: Payment | null }
interface Points { balance: number, pending: number }

const CHECKS = 8 // about ten seconds: Alipay's answer is normally there at the first
const settled = (status: string) => status !== 'AWAITING_PAYMENT' && status !== 'PENDING'

export default function PaidPage () {
  const { order_id: orderId = '' } = useRouter().params
  const [checked, setChecked] = useState<Checked | null>(null)
  const [points, setPoints] = useState<Points | null>(null)
  const [recommended, setRecommended] = useState<ProductCard[]>([])
  const [error, setError] = useState<string | null>(null)
  const [templates, setTemplates] = useState<string[]>([])
  const [subscribed, setSubscribed] = useState<string | null>(null)

  async function askForMessages () {
    try {
      const granted = await subscribe(templates)
      setSubscribed(granted > 0 ? '已开启消息通知，发货、待自提和退款时会通知你。' : '你没有开启消息通知，可以随时再开启。')
    } catch (e) {
      setSubscribed(messageOf(e))
    }
  }

  useEffect(() => {
    let stop = false
    async function check () { // the cashier's word is not proof: the mall asks Alipay (payment-check)
      for (let attempt = 0; attempt < CHECKS && !stop; attempt++) {
        const answer = await api<Checked>('POST', `/api/orders/${orderId}/payment-check`)
        setChecked(answer)
        if (settled(answer.status)) return answer
        await new Promise(resolve => setTimeout(resolve, 1200))
      }
      return null
    }
    check().then(async answer => {
      if (!answer) return
      const [mine, also, ids] = await Promise.all([
        api<Points>('GET', '/api/me/points'),
        api<{ items: ProductCard[] }>('GET', `/api/orders/${orderId}/recommendations`),
        afterPayingTemplates().catch(() => []) // no templates, no offer to subscribe
      ])
      setPoints(mine)
      setRecommended(also.items)
      setTemplates(ids)
    }).catch(e => setError(messageOf(e)))
    return () => { stop = true }
  }, [orderId])

  const paid = checked && settled(checked.status) && checked.status !== 'CANCELLED'
  return (
    <View className='page' data-testid='paid'>
      <ErrorLine message={error} />
      {!checked && !error && <Loading />}
      {checked && !paid && <View className='card' data-testid='paid-waiting'>{checked.status === 'CANCELLED' ? '订单已取消。' : '正在确认付款结果…'}</View>}
      {paid && (
        <View className='card' data-testid='paid-ok'>
          <View className='title big ok'>支付成功</View>
          {checked.payment?.amount_fen !== undefined && <View className='row'><Text>实付</Text><Price fen={checked.payment.amount_fen} testId='paid-amount' /></View>}
          {checked.payment?.method && (
            <View className='row' data-testid='paid-method'>
              <Text>付款方式</Text>
              <Text>{PAY_METHOD[checked.payment.method] ?? checked.payment.method}{checked.payment.plan?.installments ? ` ${checked.payment.plan.installments} 期` : ''}</Text>
            </View>
          )}
          {points && <View className='row' data-testid='paid-points'><Text>积分</Text><Text>可用 {points.balance}，待到账 {points.pending}</Text></View>}
          {subscribed && <View className='muted' data-testid='subscribed'>{subscribed}</View>}
          {!subscribed && templates.length > 0 && <View className='btn-ghost btn-block' data-testid='subscribe' onClick={askForMessages}>订阅订单消息通知</View>}
          <View className='btn btn-block' data-testid='see-order' onClick={() => Taro.redirectTo({ url: `/pages/order/index?id=${orderId}` })}>查看订单</View>
          <View className='btn-ghost btn-block' onClick={() => Taro.navigateTo({ url: '/pages/coupons/index' })}>去领券中心看看</View>
        </View>
      )}
      {recommended.length > 0 && (
        <View>
          <View className='title'>买了这件的人还买了</View>
          <ProductGrid items={recommended} entry='payment_success' testId='paid-recommended' />
        </View>
      )}
    </View>
  )
}
