import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'

import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { BILL_STATUS } from '../../lib/labels'
import { formatFen } from '../../lib/money'
import { alipay } from '../../lib/platform'
import { useLoad } from '../../lib/useLoad'
import AgreementCard from './agreement'

interface Bill { id: string, order_id: string, amount_fen: number, refunded_fen: number, due_fen: number, due_at: string, status: string, paid_fen?: number, paid_at?: string | null }
export interface Credit { limit_fen: number, used_fen: number, available_fen: number }
interface Bills { items: Bill[], credit: Credit }

const BACK = '/pages/bills/index'

export default function BillsPage () {
  const { data, error, setError } = useLoad(() => api<Bills>('GET', '/api/me/bills'))

  async function pay (bill: Bill) { // an Alipay trade for what the bill owes now; the notify marks it paid
    try {
      const trade = await api<{ trade_no: string }>('POST', `/api/me/bills/${bill.id}/pay`, { idempotent: true })
      await alipay.tradePay(trade.trade_no, BACK)
      void Taro.redirectTo({ url: BACK })
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='bills'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && (
        <View className='card' data-testid='credit'>
          <View className='muted'>先享后付可用额度</View>
          <View className='big'><Price fen={data.credit.available_fen} testId='credit-available' /></View>
          <View className='muted'>总额度 {formatFen(data.credit.limit_fen)} · 已用 {formatFen(data.credit.used_fen)}</View>
        </View>
      )}
      {data && <AgreementCard back={BACK} />}
      {data && data.items.length === 0 && <View className='muted'>还没有账单。</View>}
      {data?.items.map(bill => (
        <View key={bill.id} className='card' data-testid='bill' data-status={bill.status}>
          <View className='row'><Text>订单账单</Text><Text className={bill.status === 'overdue' ? 'error' : 'muted'}>{BILL_STATUS[bill.status] ?? bill.status}</Text></View>
          <View className='row'><Text>应还</Text><Price fen={bill.due_fen} /></View>
          {bill.refunded_fen > 0 && <View className='muted'>已退款抵扣 {formatFen(bill.refunded_fen)}</View>}
          <View className='muted'>还款日 {bill.due_at.slice(0, 10)}</View>
          {(bill.status === 'open' || bill.status === 'overdue') && bill.due_fen > 0 && (
            <View className='btn btn-block' data-testid='pay-bill' onClick={() => pay(bill)}>立即还款</View>
          )}
        </View>
      ))}
    </View>
  )
}
