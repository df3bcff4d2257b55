// A Sesame deposit-free rental's deposit (芝麻信用免押) is frozen before its rent is paid: paying a rental whose
// freeze is not confirmed is refused (409 deposit_not_frozen) and the buyer is led to authorise first; a buyer
// who never confirmed the freeze (closed Alipay's sheet, the app was killed, the network dropped) asks the mall
// again ("重新授权"). Kept free of Taro so it is tested on its own.
import { ApiError } from './errors'

/** The refusal of POST /api/orders/{id}/pay for a rental whose deposit is not frozen yet. */
export const DEPOSIT_NOT_FROZEN = 'deposit_not_frozen'

/** POST /api/orders/{id}/deposit-auth: the deposit, with the freeze to confirm while it still waits for one. */
export interface Reauthorised {
  order_id: string
  status: 'authorising' | 'frozen' | 'released' | 'closed'
  deposit_auth?: { order_str: string, amount_fen: number } | null
}

/** The part of a pay answer (POST /api/orders/{id}/pay) the pay step reads. */
export interface Paying { trade_no?: string | null }

export interface ReauthoriseSteps {
  /** Ask the mall (the request above); a refusal throws an ApiError whose message is a sentence. */
  ask: (orderId: string) => Promise<Reauthorised>
  /** Hand the order string to Alipay (the H5 build leaves for the freeze sheet and comes back). */
  confirm: (orderId: string, orderStr: string) => Promise<void>
}

/** Ask for the freeze and confirm what the mall hands back: 'confirming' when the buyer was sent to Alipay, else
 * the deposit's status (frozen already: Alipay's confirmation had arrived meanwhile, nothing to confirm). */
export async function authoriseAgain (orderId: string, steps: ReauthoriseSteps): Promise<'confirming' | Reauthorised['status']> {
  const answer = await steps.ask(orderId)
  if (answer.status !== 'authorising' || !answer.deposit_auth) return answer.status
  await steps.confirm(orderId, answer.deposit_auth.order_str)
  return 'confirming'
}

export interface PaySteps {
  /** POST /api/orders/{id}/pay; a refusal throws an ApiError. */
  pay: () => Promise<Paying>
  /** The deposit's freeze asked for and handed to Alipay (authoriseAgain with the mall and Alipay). */
  authorise: () => Promise<'confirming' | Reauthorised['status']>
  /** Alipay's cashier for the rent's trade. */
  tradePay: (tradeNo: string) => Promise<void>
}

/** Pay the order: 'paid' once the cashier returned (or nothing was left to pay in Alipay), 'authorising' when the
 * order is a rental whose deposit must be frozen first and the buyer was sent to confirm it (the deposit page
 * then pays the rent). A freeze that had arrived meanwhile is paid for at once; other refusals throw. */
export async function payOrAuthorise (steps: PaySteps): Promise<'paid' | 'authorising'> {
  let paying: Paying
  try {
    paying = await steps.pay()
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== DEPOSIT_NOT_FROZEN) throw e
    const authorised = await steps.authorise()
    if (authorised !== 'frozen') return 'authorising'
    paying = await steps.pay()
  }
  if (paying.trade_no) await steps.tradePay(paying.trade_no)
  return 'paid'
}
