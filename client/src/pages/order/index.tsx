import { Input, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useState } from 'react'

import { QrCode } from '../../components/qr'
import { ErrorLine, Loading, Price } from '../../components/ui'
import { api } from '../../lib/api'
import { payOrder, reauthorise } from '../../lib/deposit'
import { messageOf } from '../../lib/errors'
import { CANCEL_REASON, CARRIERS, ORDER_STATUS, PAY_METHOD, REFUND_STATUS, TRACKING_STATE } from '../../lib/labels'
import { formatFen } from '../../lib/money'
import { useLoad } from '../../lib/useLoad'

interface Line { id?: string, sku_id: string, name: string, qty: number, line_fen: number }
interface Order {
  id: string, status: string, reason?: string, lines: Line[], subtotal_fen: number, discount_fen: number, points_fen: number,
  freight_fen?: number, payable_fen: number, deposit_fen?: number, payment?: { method?: string } | null, created_at: string, pay_by?: string,
  delivery?: { method: string, name?: string, city?: string, district?: string, detail?: string } | null,
  pickup?: { code: string, qr_text: string, state?: string } | null, shipment?: { carrier: string, tracking_no: string } | null
  group_buy?: { group_id: string, state: 'waiting' | 'succeeded' | 'failed' } | null
}
const GROUP_STATE = { waiting: '等待成团', succeeded: '已成团', failed: '未成团，已退款' }
/** The buyer's reviews and the completed lines still open for one (GET /api/me/reviews). */
interface MyReviews { items: Array<{ id: string, order_id: string, sku_id: string, followup?: unknown }>, pending: Array<{ order_id: string, sku_id: string }> }
interface Tracking { state: string, events: Array<{ at: string, text: string }> }
interface Refund {
  id: string, status: string, reason?: string, amount_fen: number, with_return: boolean, due_at?: string | null,
  lines: Array<{ line_id: string, qty: number }>, return_shipment?: { carrier: string, tracking_no: string } | null
}

const REFUNDABLE = new Set(['PAID', 'READY_FOR_PICKUP', 'SHIPPED', 'DELIVERED', 'COMPLETED'])
// Goods have left the shop: the buyer may send them back (退货退款) or keep them (仅退款).
const HANDED_OVER = new Set(['SHIPPED', 'DELIVERED', 'COMPLETED'])
// A refund that ended without the money leaves its units refundable again.
const ENDED = new Set(['rejected', 'failed', 'closed'])

/** Per order line: how many units are refunded, how many are being refunded, how many can still be. */
function lineRefunds (line: Line, refunds: Refund[]) {
  let refunded = 0
  let open = 0
  for (const refund of refunds) {
    const qty = refund.lines.filter(l => l.line_id === line.id).reduce((n, l) => n + l.qty, 0)
    if (refund.status === 'refunded') refunded += qty
    else if (!ENDED.has(refund.status)) open += qty
  }
  return { refunded, open, left: line.qty - refunded - open }
}

/** "14:05": an ISO moment as the buyer's phone shows the time of day. */
function clockTime (iso: string): string {
  const at = new Date(iso)
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
}

export default function OrderPage () {
  const { id = '' } = useRouter().params
  const [tracking, setTracking] = useState<Tracking | null>(null)
  const [refunds, setRefunds] = useState<Refund[]>([])
  const [notice, setNotice] = useState<string | null>(null)
  const [mine, setMine] = useState<MyReviews | null>(null)
  // A Sesame deposit-free rental whose freeze the buyer has not confirmed yet (from GET /api/me/deposits).
  const [unconfirmed, setUnconfirmed] = useState<{ authorise_by?: string | null } | null>(null)
  const { data: order, error, setError, reload } = useLoad(async () => {
    const found = await api<Order>('GET', `/api/orders/${id}`)
    if (found.status === 'COMPLETED') api<MyReviews>('GET', '/api/me/reviews', { query: { page_size: 50 } }).then(setMine, () => setMine(null))
    if (found.shipment) api<Tracking>('GET', `/api/orders/${id}/tracking`).then(setTracking, () => setTracking(null))
    api<{ items: Refund[] }>('GET', `/api/orders/${id}/refunds`).then(r => setRefunds(r.items), () => setRefunds([]))
    if ((found.deposit_fen ?? 0) > 0) {
      api<{ items: Array<{ order_id: string, status: string, authorise_by?: string | null }> }>('GET', '/api/me/deposits')
        .then(r => setUnconfirmed(r.items.find(d => d.order_id === id && d.status === 'authorising') ?? null), () => setUnconfirmed(null))
    }
    return found
  }, [id])

  async function act (label: string, run: () => Promise<unknown>) {
    try {
      await run()
      setNotice(label)
      await reload()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function pay () {
    try { // a rental whose deposit is not frozen yet: the buyer confirms the freeze first (the mall refuses the rent)
      await payOrder(id, { method: 'alipay' }, `/pages/paid/index?order_id=${id}`)
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function authoriseAgain () {
    try {
      const pay = order?.status === 'AWAITING_PAYMENT' ? { method: 'alipay' } : undefined // then on to the rent
      if (await reauthorise(id, pay) !== 'confirming') await reload() // frozen meanwhile: nothing to confirm
    } catch (e) {
      setError(messageOf(e))
    }
  }

  const refundLine = (line: Line, qty: number, withReturn = false) => act('已申请退款，等待商家处理。', () => api('POST', `/api/orders/${id}/refund`, {
    idempotent: true, body: { reason: withReturn ? '退货退款' : '不想要了', lines: [{ line_id: line.id, qty }], ...(withReturn ? { with_return: true } : {}) }
  }))

  const refundAll = () => act('已申请退款，等待商家处理。', () => api('POST', `/api/orders/${id}/refund`, {
    idempotent: true, body: { reason: '不想要了' }
  }))

  if (!order) return <View className='page'><ErrorLine message={error} />{!error && <Loading />}</View>
  return (
    <View className='page' data-testid='order' data-status={order.status}>
      <View className='card'>
        <View className='title' data-testid='order-status'>{ORDER_STATUS[order.status] ?? '处理中'}</View>
        {order.status === 'CANCELLED' && order.reason && <View className='muted'>{CANCEL_REASON[order.reason] ?? '订单已取消。'}</View>}
        {refunds.some(r => r.reason === 'deposit_not_authorised') && <View className='muted' data-testid='order-closed-reason'>{CANCEL_REASON.deposit_not_authorised}</View>}
        {order.payment?.method && <View className='muted'>付款方式：{PAY_METHOD[order.payment.method] ?? order.payment.method}</View>}
        {order.group_buy && (
          <View className='row line' data-testid='order-group' onClick={() => Taro.navigateTo({ url: `/pages/group/index?id=${order.group_buy?.group_id ?? ''}` })}>
            <Text>拼团：{GROUP_STATE[order.group_buy.state]}</Text><Text className='muted'>查看 ›</Text>
          </View>
        )}
      </View>
      {unconfirmed && (order.status === 'PAID' || order.status === 'AWAITING_PAYMENT') && (
        <View className='card' data-testid='order-deposit-unconfirmed'>
          <View className='title'>芝麻信用免押待确认</View>
          <View className='muted'>支付宝还没有确认押金免押{unconfirmed.authorise_by ? `，请在 ${clockTime(unconfirmed.authorise_by)} 前确认，否则租赁将被关闭` : ''}。</View>
          {order.status === 'AWAITING_PAYMENT'
            ? <View className='muted' data-testid='order-pay-waits'>确认免押后才能支付租金。</View>
            : <View className='btn' data-testid='order-deposit-again' onClick={() => { void authoriseAgain() }}>重新授权</View>}
        </View>
      )}
      {order.pickup && (order.status === 'PAID' || order.status === 'READY_FOR_PICKUP') && (
        <View className='card' data-testid='pickup'>
          <View className='title'>到店自提</View>
          <View className='muted'>到店出示二维码或提货码</View>
          <QrCode text={order.pickup.qr_text} testId='pickup-qr' />
          <View className='big' data-testid='pickup-code' style={{ textAlign: 'center', letterSpacing: '4px' }}>{order.pickup.code}</View>
        </View>
      )}
      {order.delivery?.method === 'express' && (
        <View className='card'>
          <View className='title'>收货地址</View>
          <View>{order.delivery.name} {order.delivery.city}{order.delivery.district}{order.delivery.detail}</View>
          {order.shipment && <View className='muted'>{order.shipment.carrier} {order.shipment.tracking_no}</View>}
          {tracking && (
            <View data-testid='tracking'>
              <View>物流：{TRACKING_STATE[tracking.state] ?? tracking.state}</View>
              {tracking.events.map(e => <View key={e.at + e.text} className='muted'>{e.at.slice(0, 16).replace('T', ' ')} {e.text}</View>)}
            </View>
          )}
        </View>
      )}
      <View className='card'>
        {order.lines.map(line => {
          const done = lineRefunds(line, refunds)
          return (
            <View key={line.id ?? line.sku_id} className='row line' data-testid='order-line'>
              <View>
                <Text>{line.name} ×{line.qty}</Text>
                {(done.refunded > 0 || done.open > 0) && (
                  <View className='muted' data-testid='line-refund'>
                    {done.refunded > 0 ? `已退款 ${done.refunded} 件` : ''}{done.refunded > 0 && done.open > 0 ? ' · ' : ''}{done.open > 0 ? `退款中 ${done.open} 件` : ''}
                  </View>
                )}
              </View>
              <View className='row'>
                <Price fen={line.line_fen} />
                {REFUNDABLE.has(order.status) && line.id && done.left > 0 && <Text className='btn-ghost' data-testid='refund-line' onClick={() => refundLine(line, done.left)}>{HANDED_OVER.has(order.status) ? '仅退款' : '退款'}</Text>}
                {HANDED_OVER.has(order.status) && line.id && done.left > 0 && <Text className='btn-ghost' data-testid='return-line' onClick={() => refundLine(line, done.left, true)}>退货退款</Text>}
                <ReviewAction order={order} line={line} mine={mine} />
              </View>
            </View>
          )
        })}
        <View className='row'><Text>商品金额</Text><Text>{formatFen(order.subtotal_fen)}</Text></View>
        <View className='row'><Text>优惠券</Text><Text>-{formatFen(order.discount_fen)}</Text></View>
        <View className='row'><Text>积分抵扣</Text><Text>-{formatFen(order.points_fen)}</Text></View>
        {order.freight_fen !== undefined && <View className='row'><Text>运费</Text><Text>{formatFen(order.freight_fen)}</Text></View>}
        <View className='row'><Text>实付</Text><Price fen={order.payable_fen} testId='order-payable' /></View>
      </View>
      {refunds.length > 0 && (
        <View className='card' data-testid='refunds'>
          <View className='title'>退款</View>
          {refunds.map(r => (
            <View key={r.id} className='line' data-testid='refund' data-status={r.status}>
              <View className='row'><Text data-testid='refund-status'>{REFUND_STATUS[r.status] ?? '处理中'}</Text><Price fen={r.amount_fen} /></View>
              {r.return_shipment && <View className='muted'>退货单号：{CARRIERS[r.return_shipment.carrier] ?? r.return_shipment.carrier} {r.return_shipment.tracking_no}</View>}
              {r.status === 'awaiting_return' && <ReturnShipmentForm refund={r} onError={setError} send={body => act('退货单号已提交，等待商家收货。', () => api('POST', `/api/refunds/${r.id}/return-shipment`, { idempotent: true, body }))} />}
            </View>
          ))}
        </View>
      )}
      <ErrorLine message={error} />
      {notice && <View className='ok' data-testid='notice'>{notice}</View>}
      <View className='bottom-bar'>
        {order.status === 'AWAITING_PAYMENT' && <View className='btn-ghost' onClick={() => act('订单已取消。', () => api('POST', `/api/orders/${id}/cancel`, { idempotent: true }))}>取消订单</View>}
        {order.status === 'AWAITING_PAYMENT' && (unconfirmed
          ? <View className='btn' data-testid='order-authorise-first' onClick={() => { void authoriseAgain() }}>先确认免押</View>
          : <View className='btn' data-testid='order-pay' onClick={() => { void pay() }}>去付款</View>)}
        {REFUNDABLE.has(order.status) && !order.lines.some(l => l.id) && <View className='btn-ghost' data-testid='refund-order' onClick={refundAll}>申请退款</View>}
        {(order.status === 'SHIPPED' || order.status === 'DELIVERED') && <View className='btn' onClick={() => act('已确认收货。', () => api('POST', `/api/orders/${id}/confirm-receipt`, { idempotent: true }))}>确认收货</View>}
        <View className='btn-ghost' onClick={() => Taro.switchTab({ url: '/pages/home/index' })}>继续逛逛</View>
      </View>
    </View>
  )
}

/** The buyer sends the goods back and gives the waybill (快递100 company code and number). */
function ReturnShipmentForm ({ refund, send, onError }: {
  refund: Refund, send: (body: { carrier: string, tracking_no: string }) => Promise<void>, onError: (message: string | null) => void
}) {
  const [carrier, setCarrier] = useState<string | null>(null)
  const [trackingNo, setTrackingNo] = useState('')

  function submit () {
    if (!carrier) onError('请选择退货的快递公司。')
    else if (!trackingNo.trim()) onError('请填写退货的快递单号。')
    else void send({ carrier, tracking_no: trackingNo.trim() })
  }

  return (
    <View data-testid='return-form'>
      <View className='muted'>商家已同意退货，请寄回商品并填写快递单号{refund.due_at ? `（${refund.due_at.slice(0, 10)} 前）` : ''}。</View>
      <View className='chips'>
        {Object.entries(CARRIERS).map(([code, name]) => (
          <View key={code} data-testid={`carrier-${code}`} className={`chip ${carrier === code ? 'chip-on' : ''}`} onClick={() => { setCarrier(code); onError(null) }}>{name}</View>
        ))}
      </View>
      <Input className='input' data-testid='return-tracking-no' placeholder='快递单号' value={trackingNo} onInput={e => setTrackingNo(e.detail.value)} />
      <View className='btn btn-block' data-testid='return-submit' onClick={submit}>提交退货单号</View>
    </View>
  )
}

/** A completed line's review button: write one while it is open, then one follow-up. */
function ReviewAction ({ order, line, mine }: { order: Order, line: Line, mine: MyReviews | null }) {
  if (!mine) return null
  const open = (query: string) => Taro.navigateTo({ url: `/pages/review/index?${query}&name=${encodeURIComponent(line.name)}` })
  if (mine.pending.some(p => p.order_id === order.id && p.sku_id === line.sku_id)) {
    return <Text className='btn-ghost' data-testid='write-review' onClick={() => open(`order_id=${order.id}&sku_id=${line.sku_id}`)}>评价</Text>
  }
  const review = mine.items.find(r => r.order_id === order.id && r.sku_id === line.sku_id)
  if (review && !review.followup) return <Text className='btn-ghost' data-testid='followup-review' onClick={() => open(`review_id=${review.id}`)}>追评</Text>
  return null
}
