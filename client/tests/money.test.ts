import { describe, expect, it } from 'vitest'

import { formatFen, formatFenOrDash } from '../src/lib/money'

describe('formatFen', () => {
  it('shows yuan with two decimals from integer fen', () => {
    expect(formatFen(0)).toBe('¥0.00')
    expect(formatFen(1)).toBe('¥0.01')
    expect(formatFen(10)).toBe('¥0.10')
    expect(formatFen(1999)).toBe('¥19.99')
    expect(formatFen(2_000)).toBe('¥20.00')
    expect(formatFen(123_456_789)).toBe('¥1234567.89')
  })

  it('keeps the sign in front of the currency', () => {
    expect(formatFen(-500)).toBe('-¥5.00')
    expect(formatFen(-1)).toBe('-¥0.01')
  })

  it('is exact where floating point yuan would not be', () => {
    // 0.1 + 0.2 yuan in floats is 0.30000000000000004; in fen it is 30.
    expect(formatFen(10 + 20)).toBe('¥0.30')
    expect(formatFen(Number.MAX_SAFE_INTEGER)).toBe('¥90071992547409.91')
  })

  it('refuses anything that is not an integer amount of fen', () => {
    expect(() => formatFen(12.5)).toThrow(TypeError)
    expect(() => formatFen(Number.NaN)).toThrow(TypeError)
    expect(() => formatFen('100' as unknown as number)).toThrow(TypeError)
  })

  it('shows a dash, not a zero, for an amount the server did not give', () => {
    expect(formatFenOrDash(null)).toBe('—')
    expect(formatFenOrDash(undefined)).toBe('—')
    expect(formatFenOrDash(250)).toBe('¥2.50')
  })
})
