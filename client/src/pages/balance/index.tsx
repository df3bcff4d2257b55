import { Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { formatFen } from '../../lib/money'
import { alipay } from '../../lib/platform'
import { useLoad } from '../../lib/useLoad'

interface Balance { balance_fen: number, entries: Array<{ amount_fen: number, kind: string, ref?: string, at: string }> }
interface TopUp { top_up_id: string, amount_fen: number, bonus_fen: number, trade_no: string }

// Amounts offered (fen); the bonus for each is the server's rule, shown once the top-up is made.
const AMOUNTS = [5_000, 10_000, 50_000]
const KIND: Record<string, string> = { top_up: '充值', top_up_bonus: '充值赠送', order_payment: '消费', refund: '退款' }
const BACK = '/pages/balance/index?topped=1'
const CHECKS = 8

export default function BalancePage () {
  const { topped } = useRouter().params
  const { data: balance, error, setError, reload, setData } = useLoad(() => api<Balance>('GET', '/api/me/balance'))
  const [amount, setAmount] = useState(AMOUNTS[1])
  const [notice, setNotice] = useState<string | null>(null)

  useEffect(() => { // back from the cashier: the balance grows once Alipay's notify reaches the mall
    if (!topped) return
    const before = Taro.getStorageSync('mpmall.balance-before') as number | ''
    let stop = false
    void (async () => {
      for (let attempt = 0; attempt < CHECKS && !stop; attempt++) {
        const now = await api<Balance>('GET', '/api/me/balance').catch(() => null)
        if (now) setData(now)
        if (now && (before === '' || now.balance_fen !== before)) { setNotice('充值成功。'); return }
        await new Promise(resolve => setTimeout(resolve, 1000))
      }
      if (!stop) setNotice('充值结果确认中，请稍后刷新。')
    })()
    return () => { stop = true }
  }, [topped])

  async function topUp () {
    try {
      const made = await api<TopUp>('POST', '/api/me/balance/top-ups', { idempotent: true, body: { amount_fen: amount } })
      Taro.setStorageSync('mpmall.balance-before', balance?.balance_fen ?? '')
      await alipay.tradePay(made.trade_no, BACK)
      void Taro.redirectTo({ url: BACK }) // inside Alipay the cashier returns here
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='balance'>
      <View className='card'>
        <View className='muted'>余额</View>
        {balance ? <View className='big'><Price fen={balance.balance_fen} testId='balance-amount' /></View> : !error && <Loading />}
      </View>
      <View className='card'>
        <View className='title'>充值</View>
        <View className='chips'>
          {AMOUNTS.map(fen => (
            <View key={fen} data-testid={`top-up-${fen}`} className={`chip ${amount === fen ? 'chip-on' : ''}`} onClick={() => setAmount(fen)}>{formatFen(fen)}</View>
          ))}
        </View>
        <View className='btn btn-block' data-testid='top-up' onClick={topUp}>充值 {formatFen(amount)}</View>
        <View className='muted'>通过支付宝付款，充值赠送以到账为准。</View>
      </View>
      <ErrorLine message={error} />
      {notice && <View className='ok' data-testid='notice' onClick={() => void reload()}>{notice}</View>}
      {balance && balance.entries.length > 0 && (
        <View className='card' data-testid='balance-entries'>
          <View className='title'>明细</View>
          {balance.entries.map((e, i) => (
            <View key={`${e.at}-${i}`} className='row line'>
              <View><Text>{KIND[e.kind] ?? '余额变动'}</Text><View className='muted'>{e.at.slice(0, 16).replace('T', ' ')}</View></View>
              <Text className={e.amount_fen > 0 ? 'ok' : ''}>{e.amount_fen > 0 ? '+' : ''}{formatFen(e.amount_fen)}</Text>
            </View>
          ))}
        </View>
      )}
    </View>
  )
}
