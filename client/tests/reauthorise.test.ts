import { describe, expect, it } from 'vitest'

import { ApiError, messageOf } from '../src/lib/errors'
import { authoriseAgain, payOrAuthorise, type Reauthorised } from '../src/lib/reauthorise'

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

/** The pay step's parts with what the mall answers in turn; `log` records what reached the mall and Alipay. */
function paySteps (answers: Array<{ trade_no?: string | null } | ApiError>, authorised: 'confirming' | Reauthorised['status'] = 'confirming') {
  const log: string[] = []
  return {
    log,
    pay: async () => {
      log.push('pay')
      const answer = answers.shift()
      if (answer === undefined || answer instanceof ApiError) throw answer ?? new Error('nothing more to answer')
      return answer
    },
    authorise: async () => { log.push(`authorise:${authorised}`); return authorised },
    tradePay: async (tradeNo: string) => { log.push(`tradePay:${tradeNo}`) }
  }
}

const notFrozen = () => new ApiError(409, { status: 409, code: 'deposit_not_frozen', title: 'Refused', detail: 'Confirm the deposit first' })

describe('paying a rental whose deposit is not frozen yet', () => {
  it('leads the buyer to authorise the deposit instead of paying, and no trade is opened', async () => {
    const s = paySteps([notFrozen()])
    expect(await payOrAuthorise(s)).toBe('authorising')
    expect(s.log).toEqual(['pay', 'authorise:confirming'])
  })

  it('pays the rent at once when the freeze had arrived meanwhile', async () => {
    const s = paySteps([notFrozen(), { trade_no: 't_rent' }], 'frozen')
    expect(await payOrAuthorise(s)).toBe('paid')
    expect(s.log).toEqual(['pay', 'authorise:frozen', 'pay', 'tradePay:t_rent'])
  })

  it('pays an order whose deposit is frozen (or that has none) in the cashier', async () => {
    const s = paySteps([{ trade_no: 't_rent' }])
    expect(await payOrAuthorise(s)).toBe('paid')
    expect(s.log).toEqual(['pay', 'tradePay:t_rent'])
  })

  it('throws any other refusal, its sentence explaining it', async () => {
    const s = paySteps([new ApiError(409, { code: 'order_not_payable' })])
    const error = await payOrAuthorise(s).then(() => null, (e: unknown) => e)
    expect(messageOf(error)).toBe('这个订单现在不能付款。')
    expect(s.log).toEqual(['pay'])
  })

  it('says why the rent waits, as a sentence', () => {
    expect(messageOf(notFrozen())).toBe('租赁押金需先确认芝麻信用免押，确认后才能支付租金。')
  })
})
