// "重新授权": a buyer who never confirmed a rental deposit's Sesame deposit-free freeze (closed Alipay's sheet,
// the app was killed, the network dropped) asks the mall again. Kept free of Taro so it is tested on its own.

/** POST /api/orders/{id}/deposit-auth: the deposit, with the freeze to confirm while it still waits for one. */
export interface Reauthorised {
  order_id: string
  status: 'authorising' | 'frozen' | 'released' | 'closed'
  deposit_auth?: { order_str: string, amount_fen: number } | null
}

export interface ReauthoriseSteps {
  /** Ask the mall (the request above); a refusal throws an ApiError whose message is a sentence. */
  ask: (orderId: string) => Promise<Reauthorised>
  /** Hand the order string to Alipay (the H5 build leaves for the freeze sheet and comes back). */
  confirm: (orderId: string, orderStr: string) => Promise<void>
}

/** Ask again and confirm what the mall hands back: 'confirming' when the buyer was sent to Alipay, else the
 * deposit's status (frozen already: Alipay's confirmation had arrived meanwhile, nothing to confirm). */
export async function authoriseAgain (orderId: string, steps: ReauthoriseSteps): Promise<'confirming' | Reauthorised['status']> {
  const answer = await steps.ask(orderId)
  if (answer.status !== 'authorising' || !answer.deposit_auth) return answer.status
  await steps.confirm(orderId, answer.deposit_auth.order_str)
  return 'confirming'
}
