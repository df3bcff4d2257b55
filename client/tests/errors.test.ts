import { describe, expect, it } from 'vitest'

import { ApiError, messageOf, sentenceFor } from '../src/lib/errors'

describe('error sentences', () => {
  it('maps a stable code to a Chinese sentence, never showing the code', () => {
    const error = new ApiError(409, { status: 409, code: 'installments_not_offered', title: 'Refused', detail: 'not offered' })
    expect(error.message).toBe('商家不支持这个分期期数，请换一个。')
    expect(error.message).not.toContain('installments_not_offered')
    expect(error.code).toBe('installments_not_offered')
  })

  it("falls back to the server's detail for a code it does not know", () => {
    expect(sentenceFor({ code: 'brand_new_rule', detail: '这个活动只限新用户参加' })).toBe('这个活动只限新用户参加')
  })

  it('falls back to a general sentence when there is nothing to say', () => {
    expect(sentenceFor({ code: 'brand_new_rule' })).toBe('出了点问题，请稍后再试。')
    expect(sentenceFor(null)).toBe('出了点问题，请稍后再试。')
    expect(messageOf(new Error('boom'))).toBe('出了点问题，请稍后再试。')
  })
})
