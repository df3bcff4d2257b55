// Sesame deposit-free rentals (芝麻信用免押): the rental's deposit is not paid but frozen by an Alipay fund
// authorisation the buyer confirms, Sesame credit standing for what it can.
import Taro from '@tarojs/taro'

import { api } from './api'
import { alipay } from './platform'
import { authoriseAgain, type Reauthorised } from './reauthorise'

/** The part of a pay answer (POST /api/orders/{id}/pay) this step reads. */
export interface Paying { trade_no?: string | null, deposit_auth?: { order_str: string, amount_fen: number } | null }

/** The deposit page of an order: it checks the freeze (deposit-check), shows it and goes on to pay the rent. */
function depositPage (orderId: string, tradeNo?: string | null): string {
  return `/pages/deposits/index?order_id=${orderId}${tradeNo ? `&trade_no=${tradeNo}` : ''}`
}

/** The buyer confirms the freeze first (in a browser the page leaves for the freeze sheet and comes back to
 * the deposit page); the deposit page then shows what Alipay says and takes the buyer on to pay the rent. */
export async function confirmDeposit (orderId: string, orderStr: string, tradeNo?: string | null): Promise<void> {
  const page = depositPage(orderId, tradeNo)
  await alipay.confirmFreeze(orderStr, page)
  void Taro.redirectTo({ url: page })
}

/** "重新授权" on the deposit pages: the same freeze request while Alipay still takes it, else a new one; the
 * buyer confirms it and comes back to the deposit page. Refusals throw (their message is a sentence). */
export async function reauthorise (orderId: string, tradeNo?: string | null): Promise<'confirming' | Reauthorised['status']> {
  return await authoriseAgain(orderId, {
    ask: async id => await api<Reauthorised>('POST', `/api/orders/${id}/deposit-auth`),
    confirm: async (id, orderStr) => { await confirmDeposit(id, orderStr, tradeNo) }
  })
}
