import { describe, expect, it } from 'vitest'

import { ApiError, messageOf } from '../src/lib/errors'
import { authoriseAgain, type Reauthorised } from '../src/lib/reauthorise'

/** The two steps of "重新授权" with what the mall answers; `confirmed` records the order strings handed to Alipay. */
function steps (answer: Reauthorised | ApiError) {
  const confirmed: Array<[string, string]> = []
  return {
    confirmed,
    ask: async (orderId: string) => {
      if (answer instanceof ApiError) throw answer
      return { ...answer, order_id: orderId }
    },
    confirm: async (orderId: string, orderStr: string) => { confirmed.push([orderId, orderStr]) }
  }
}

describe('authorising a rental deposit again', () => {
  it('hands the order string the mall gives back to Alipay', async () => {
    const s = steps({ order_id: 'o1', status: 'authorising', deposit_auth: { order_str: 'method=alipay.fund.auth.order.app.freeze&sign=x', amount_fen: 800000 } })
    expect(await authoriseAgain('o1', s)).toBe('confirming')
    expect(s.confirmed).toEqual([['o1', 'method=alipay.fund.auth.order.app.freeze&sign=x']])
  })

  it('asks nothing of Alipay when the freeze arrived meanwhile', async () => {
    const s = steps({ order_id: 'o1', status: 'frozen', deposit_auth: null })
    expect(await authoriseAgain('o1', s)).toBe('frozen')
    expect(s.confirmed).toEqual([])
  })

  it('shows a refusal as a sentence, never its code', async () => {
    for (const code of ['deposit_closed', 'deposit_auth_expired', 'deposit_not_found']) {
      const refusal = new ApiError(409, { status: 409, code, title: 'Refused', detail: 'The rental is closed' })
      const s = steps(refusal)
      const error = await authoriseAgain('o1', s).then(() => null, (e: unknown) => e)
      expect(messageOf(error)).not.toContain(code)
      expect(messageOf(error)).not.toBe('The rental is closed') // a Chinese sentence of its own, not the detail
      expect(s.confirmed).toEqual([])
    }
    expect(messageOf(new ApiError(409, { code: 'deposit_closed' }))).toBe('这笔租赁已关闭，押金无需再授权。')
  })
})
