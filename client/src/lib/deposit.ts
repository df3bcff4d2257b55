// Sesame deposit-free rentals (芝麻信用免押): the rental's deposit is not paid but frozen by an Alipay fund
// authorisation the buyer confirms, Sesame credit standing for what it can; the rent is paid once it is frozen.
import Taro from '@tarojs/taro'

import { api } from './api'
import { alipay } from './platform'
import { authoriseAgain, type Paying, payOrAuthorise, type Reauthorised } from './reauthorise'

/** How the buyer chose to pay (the body of POST /api/orders/{id}/pay). */
export interface PayBody { method: string, installments?: number }

/** The deposit page of an order: it checks the freeze (deposit-check), shows it and, once frozen, pays the rent
 * the way the buyer chose (`pay`). */
function depositPage (orderId: string, pay?: PayBody): string {
  const how = pay ? `&pay=${pay.method}${pay.installments ? `&installments=${pay.installments}` : ''}` : ''
  return `/pages/deposits/index?order_id=${orderId}${how}`
}

/** The buyer confirms the freeze (in a browser the page leaves for the freeze sheet and comes back to the
 * deposit page); the deposit page then shows what Alipay says and takes the buyer on to pay the rent. */
async function confirmDeposit (orderId: string, orderStr: string, pay?: PayBody): Promise<void> {
  const page = depositPage(orderId, pay)
  await alipay.confirmFreeze(orderStr, page)
  void Taro.redirectTo({ url: page })
}

/** "授权免押" / "重新授权": the freeze request (the same one while Alipay still takes it, else a new one); the
 * buyer confirms it and comes back to the deposit page. Refusals throw (their message is a sentence). */
export async function reauthorise (orderId: string, pay?: PayBody): Promise<'confirming' | Reauthorised['status']> {
  return await authoriseAgain(orderId, {
    ask: async id => await api<Reauthorised>('POST', `/api/orders/${id}/deposit-auth`),
    confirm: async (id, orderStr) => { await confirmDeposit(id, orderStr, pay) }
  })
}

/** Pay an order and go on to `done`; a rental whose deposit is not frozen yet is refused by the mall, and the
 * buyer confirms the freeze first (the deposit page then pays the rent). Refusals throw. */
export async function payOrder (orderId: string, pay: PayBody, done: string): Promise<void> {
  const outcome = await payOrAuthorise({
    pay: async () => await api<Paying>('POST', `/api/orders/${orderId}/pay`, { idempotent: true, body: pay }),
    authorise: async () => await reauthorise(orderId, pay),
    tradePay: async tradeNo => { await alipay.tradePay(tradeNo, done) } // the server checks the outcome after
  })
  if (outcome === 'paid') void Taro.redirectTo({ url: done })
}
