import { Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { type PayBody, payOrder, reauthorise } from '../../lib/deposit'
import { messageOf } from '../../lib/errors'
import { DEPOSIT_STATUS } from '../../lib/labels'
import { useLoad } from '../../lib/useLoad'

interface Deposit { order_id: string, amount_fen: number, status: string, credit_score?: number | null, created_at: string, released_at?: string | null }
/** POST /api/orders/{id}/deposit-check: a Sesame deposit-free freeze as Alipay knows it. */
interface Freeze { order_id: string, status: 'authorising' | 'frozen' | 'released' | 'closed', amount_fen: number, credit_fen: number | null, charged_fen: number | null }

/** With `order_id` (back from confirming a Sesame deposit-free freeze) the page shows that deposit as Alipay
 * has it and, once frozen, pays the rent the way the buyer chose (`pay`, `installments`); without, the buyer's
 * deposits. */
export default function DepositsPage () {
  const { order_id: orderId, pay: method, installments } = useRouter().params
  const pay = method ? { method, ...(installments ? { installments: Number(installments) } : {}) } : undefined
  return orderId ? <FreezePage orderId={orderId} pay={pay} /> : <DepositList />
}

function FreezePage ({ orderId, pay }: { orderId: string, pay?: PayBody }) {
  const { data: freeze, error, setError, reload } = useLoad(
    () => api<Freeze>('POST', `/api/orders/${orderId}/deposit-check`), [orderId])

  async function again () {
    try {
      setError(null)
      if (await reauthorise(orderId, pay) !== 'confirming') await reload() // frozen meanwhile: show it
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function payRent (how: PayBody) {
    try { // only now, the deposit frozen (the mall refuses the rent before)
      await payOrder(orderId, how, `/pages/paid/index?order_id=${orderId}`)
    } catch (e) {
      setError(messageOf(e))
    }
  }

  if (!freeze) return <View className='page'><ErrorLine message={error} />{!error && <Loading />}</View>
  const credit = freeze.credit_fen ?? 0
  const frozen = freeze.status === 'frozen' || freeze.status === 'released'
  return (
    <View className='page' data-testid='deposit-freeze' data-status={freeze.status}>
      <ErrorLine message={error} />
      <View className='card'>
        <View className='title'>芝麻信用免押</View>
        <View className='row'><Text>押金</Text><Price fen={freeze.amount_fen} testId='freeze-amount' /></View>
        {freeze.status === 'closed' && <View className='row'><Text>状态</Text><Text data-testid='freeze-status'>已关闭</Text></View>}
        {freeze.status === 'closed' && <View className='muted'>没有按时确认芝麻信用免押，这笔租赁已关闭。</View>}
        {freeze.status === 'closed' ? null : frozen
          ? <>
            <View className='row'><Text>状态</Text><Text data-testid='freeze-status'>{credit >= freeze.amount_fen ? '免押' : '已冻结'}</Text></View>
            <View className='row'><Text className='muted'>芝麻信用担保</Text><Price fen={credit} testId='freeze-credit' /></View>
            <View className='row'><Text className='muted'>冻结余额</Text><Price fen={freeze.amount_fen - credit} testId='freeze-funds' /></View>
            <View className='muted'>租赁结束后商家解冻，损坏或逾期的费用才会从中扣除。</View>
          </>
          : <>
            <View className='row'><Text>状态</Text><Text data-testid='freeze-status'>待确认</Text></View>
            <View className='muted'>支付宝还没有确认免押。如已确认，请稍后刷新；没有确认（页面被关闭或网络中断）请重新授权。</View>
            {pay && <View className='muted' data-testid='freeze-pay-waits'>确认免押后才能支付租金。</View>}
            <View className='btn' data-testid='freeze-again' onClick={() => { void again() }}>重新授权</View>
            <View className='btn-ghost' data-testid='freeze-refresh' onClick={() => { void reload() }}>刷新</View>
          </>}
      </View>
      {freeze.status !== 'closed' && (pay && frozen
        ? <View className='btn btn-block' data-testid='freeze-next' onClick={() => { void payRent(pay) }}>支付租金</View>
        : <View className='btn-ghost btn-block' data-testid='freeze-order' onClick={() => { void Taro.redirectTo({ url: `/pages/order/index?id=${orderId}` }) }}>查看订单</View>)}
    </View>
  )
}

function DepositList () {
  const { data, error, setError } = useLoad(() => api<{ items: Deposit[] }>('GET', '/api/me/deposits'))

  async function again (orderId: string) {
    try {
      if (await reauthorise(orderId) !== 'confirming') void Taro.navigateTo({ url: `/pages/deposits/index?order_id=${orderId}` })
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='deposits'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <View className='card muted' data-testid='no-deposits'>没有押金记录。租赁商品的押金会显示在这里，信用好可免押。</View>}
      {data?.items.map(d => (
        <View key={d.order_id} className='card' data-testid='deposit' data-status={d.status} onClick={() => Taro.navigateTo({ url: `/pages/order/index?id=${d.order_id}` })}>
          <View className='row'><Text>押金</Text><Price fen={d.amount_fen} /></View>
          <View className='row'><Text className='muted'>{d.created_at.slice(0, 10)}</Text><Text>{DEPOSIT_STATUS[d.status] ?? d.status}</Text></View>
          {d.status === 'authorising' && <View className='btn-ghost' data-testid='deposit-again' onClick={e => { e.stopPropagation(); void again(d.order_id) }}>重新授权</View>}
        </View>
      ))}
    </View>
  )
}
