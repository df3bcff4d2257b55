import { describe, expect, it, vi } from 'vitest'

import { type BrowserWindow, inAlipay, inBrowser, type My } from '../src/lib/alipay'
import { ApiError } from '../src/lib/errors'

/** A stand-in for Alipay's `my`: each API answers through success or fail as the real one does. */
function fakeMy (answers: Record<string, { ok?: unknown, fail?: unknown }>) {
  const calls: Array<[string, Record<string, unknown>]> = []
  const my: My = {}
  for (const [name, answer] of Object.entries(answers)) {
    my[name] = (options: Record<string, unknown>) => {
      const { success, fail, ...rest } = options as any
      calls.push([name, rest])
      if ('fail' in answer) fail(answer.fail)
      else success(answer.ok)
    }
  }
  return { my, calls }
}

describe('inside Alipay', () => {
  it('gets an auth code with the user scope', async () => {
    const { my, calls } = fakeMy({ getAuthCode: { ok: { authCode: 'ac_123' } } })
    expect(await inAlipay(my).getAuthCode()).toBe('ac_123')
    expect(calls).toEqual([['getAuthCode', { scopes: ['auth_user'] }]])
  })

  it('pays a trade and reads the cashier result code', async () => {
    const outcome = async (answer: { ok?: unknown, fail?: unknown }) => {
      const { my, calls } = fakeMy({ tradePay: answer })
      const result = await inAlipay(my).tradePay('2026112522001', '/pages/paid/index?order_id=o1')
      expect(calls[0]).toEqual(['tradePay', { tradeNO: '2026112522001' }])
      return result
    }
    expect(await outcome({ ok: { resultCode: '9000' } })).toBe('paid')
    expect(await outcome({ ok: { resultCode: '8000' } })).toBe('pending')
    expect(await outcome({ ok: { resultCode: '6004' } })).toBe('pending')
    expect(await outcome({ ok: { resultCode: '6001' } })).toBe('cancelled')
    expect(await outcome({ ok: { resultCode: '4000' } })).toBe('failed')
    expect(await outcome({ fail: { error: 3 } })).toBe('failed')
  })

  it('confirms a Sesame deposit-free freeze by handing its order string to tradePay', async () => {
    const orderStr = 'app_id=1&method=alipay.fund.auth.order.app.freeze&sign=a%2Bb'
    const outcome = async (answer: { ok?: unknown, fail?: unknown }) => {
      const { my, calls } = fakeMy({ tradePay: answer })
      const result = await inAlipay(my).confirmFreeze(orderStr, '/pages/deposits/index?order_id=o1')
      expect(calls[0]).toEqual(['tradePay', { orderStr }]) // the order string, not a trade number
      return result
    }
    expect(await outcome({ ok: { resultCode: '9000' } })).toBe('confirmed')
    expect(await outcome({ ok: { resultCode: '8000' } })).toBe('pending')
    expect(await outcome({ ok: { resultCode: '6001' } })).toBe('cancelled')
    expect(await outcome({ ok: { resultCode: '4000' } })).toBe('failed')
    expect(await outcome({ fail: { error: 3 } })).toBe('failed')
  })

  it('signs a withholding agreement in Alipay\'s signing centre and reads its result status', async () => {
    const outcome = async (answer: { ok?: unknown, fail?: unknown }) => {
      const { my, calls } = fakeMy({ paySignCenter: answer })
      const result = await inAlipay(my).signAgreement('app_id=1&sign=x', '/pages/bills/index')
      expect(calls[0]).toEqual(['paySignCenter', { signStr: 'app_id=1&sign=x' }])
      return result
    }
    expect(await outcome({ ok: { resultStatus: '7000' } })).toBe('signed')
    expect(await outcome({ ok: { resultStatus: '6001' } })).toBe('cancelled')
    expect(await outcome({ fail: { error: 3 } })).toBe('failed')
  })

  it('turns the location strings into numbers, and a refusal into null', async () => {
    const { my } = fakeMy({ getLocation: { ok: { latitude: '30.2577', longitude: '120.1664' } } })
    expect(await inAlipay(my).getLocation()).toEqual({ lat: 30.2577, lng: 120.1664 })
    const refused = fakeMy({ getLocation: { fail: { error: 11 } } })
    expect(await inAlipay(refused.my).getLocation()).toBeNull()
  })

  it('scans QR and bar codes; a closed scanner is null', async () => {
    const { my, calls } = fakeMy({ scan: { ok: { code: '6901234567892' } } })
    expect(await inAlipay(my).scan()).toBe('6901234567892')
    expect(calls[0][1]).toEqual({ scanType: ['qrCode', 'barCode'] })
    expect(await inAlipay(fakeMy({ scan: { fail: { error: 10 } } }).my).scan()).toBeNull()
  })

  it('returns the chosen Alipay address only when the buyer picked one', async () => {
    const address = { fullname: '小红', mobilePhone: '13800000000', prov: '浙江省', city: '杭州市', area: '上城区', address: '延安路258号' }
    expect(await inAlipay(fakeMy({ getAddress: { ok: { resultStatus: '9000', result: address } } }).my).getAddress()).toEqual(address)
    expect(await inAlipay(fakeMy({ getAddress: { ok: { resultStatus: '6001' } } }).my).getAddress()).toBeNull()
  })

  it('lists the message templates the buyer subscribed to', async () => {
    const { my, calls } = fakeMy({ requestSubscribeMessage: { ok: { behavior: 'subscribe', result: { subscribeEntityIds: ['tpl_paid'] } } } })
    expect(await inAlipay(my).requestSubscribeMessage(['tpl_paid', 'tpl_shipped'])).toEqual(['tpl_paid'])
    expect(calls[0][1]).toEqual({ entityIds: ['tpl_paid', 'tpl_shipped'] })
    expect(await inAlipay(fakeMy({ requestSubscribeMessage: { fail: { error: 11 } } }).my).requestSubscribeMessage(['x'])).toEqual([])
  })
})

function fakeWindow (href: string, extra: Partial<BrowserWindow> = {}) {
  const url = new URL(href)
  const win = {
    location: { href, origin: url.origin, pathname: url.pathname, assign: vi.fn() },
    history: { replaceState: vi.fn() },
    navigator: {},
    prompt: vi.fn(() => null),
    ...extra
  }
  return win as typeof win & BrowserWindow
}

const SANDBOX = async () => 'http://127.0.0.1:8090/'
const settle = async () => await new Promise(resolve => setTimeout(resolve, 0))

describe('in a browser', () => {
  it('sends the buyer to the authorisation page, coming back to this very page', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/#/pages/cart/index')
    let settled = false
    void inBrowser(win, SANDBOX).getAuthCode().then(() => { settled = true })
    await settle()
    expect(win.location.assign).toHaveBeenCalledWith(
      'http://127.0.0.1:8090/sandbox/authorize?redirect_uri=' + encodeURIComponent('http://127.0.0.1:8080/m/#/pages/cart/index'))
    expect(settled).toBe(false) // the page is leaving: nothing may act on a code that is not there
  })

  it('takes the code it came back with, once, and removes it from the address', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/?auth_code=abc#/pages/home/index')
    expect(await inBrowser(win, SANDBOX).getAuthCode()).toBe('abc')
    expect(win.history.replaceState).toHaveBeenCalledWith(null, '', 'http://127.0.0.1:8080/m/#/pages/home/index')
    expect(win.location.assign).not.toHaveBeenCalled()
  })

  it('says so, as a sentence, where there are no Alipay web pages', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/')
    const error = await inBrowser(win, async () => null).getAuthCode().catch(e => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toBe('浏览器里暂时无法登录支付宝，请在支付宝小程序中打开。')
  })

  it('pays in the cashier page, which returns to the given page of the H5 build', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/#/pages/checkout/index')
    void inBrowser(win, SANDBOX).tradePay('T 1', '/pages/paid/index?order_id=o1')
    await settle()
    const back = 'http://127.0.0.1:8080/m/#/pages/paid/index?order_id=o1'
    expect(win.location.assign).toHaveBeenCalledWith(
      `http://127.0.0.1:8090/sandbox/cashier?trade_no=T%201&return_url=${encodeURIComponent(back)}`)
  })

  it('confirms a freeze on the sandbox\'s freeze page, which returns to the given page', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/#/pages/checkout/index')
    let settled = false
    const orderStr = 'app_id=1&biz_content=%7B%22amount%22%3A%228000.00%22%7D&sign=a+b'
    void inBrowser(win, SANDBOX).confirmFreeze(orderStr, '/pages/deposits/index?order_id=o1').then(() => { settled = true })
    await settle()
    const back = 'http://127.0.0.1:8080/m/#/pages/deposits/index?order_id=o1'
    expect(win.location.assign).toHaveBeenCalledWith('http://127.0.0.1:8090/sandbox/fund-auth?order_str=' +
      `${encodeURIComponent(orderStr)}&return_url=${encodeURIComponent(back)}`)
    expect(settled).toBe(false) // the page is leaving; the deposit page checks the freeze on return
  })

  it('signs an agreement on the sandbox\'s signing page, which returns to the given page', async () => {
    const win = fakeWindow('http://127.0.0.1:8080/m/#/pages/bills/index')
    void inBrowser(win, SANDBOX).signAgreement('app_id=1&sign=a+b', '/pages/bills/index')
    await settle()
    const back = 'http://127.0.0.1:8080/m/#/pages/bills/index'
    expect(win.location.assign).toHaveBeenCalledWith('http://127.0.0.1:8090/sandbox/agreement-sign?sign_str=' +
      `${encodeURIComponent('app_id=1&sign=a+b')}&return_url=${encodeURIComponent(back)}`)
  })

  it('asks the browser where the buyer is; no answer is null', async () => {
    const granted = fakeWindow('http://x/m/', {
      navigator: { geolocation: { getCurrentPosition: (ok: any) => ok({ coords: { latitude: 30.25, longitude: 120.17 } }) } }
    } as any)
    expect(await inBrowser(granted, SANDBOX).getLocation()).toEqual({ lat: 30.25, lng: 120.17 })
    const denied = fakeWindow('http://x/m/', {
      navigator: { geolocation: { getCurrentPosition: (_ok: any, fail: any) => fail() } }
    } as any)
    expect(await inBrowser(denied, SANDBOX).getLocation()).toBeNull()
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX).getLocation()).toBeNull()
  })

  it('scans by typing the code; empty is cancelled', async () => {
    const typed = fakeWindow('http://x/m/', { prompt: vi.fn(() => ' 6901234567892 ') })
    expect(await inBrowser(typed, SANDBOX).scan()).toBe('6901234567892')
    expect(await inBrowser(fakeWindow('http://x/m/', { prompt: vi.fn(() => '  ') }), SANDBOX).scan()).toBeNull()
  })

  it('has no Alipay address book', async () => {
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX).getAddress()).toBeNull()
  })

  it('asks once on the page for message subscriptions: yes grants every template, no grants none', async () => {
    const yes = vi.fn(async () => true)
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX, yes).requestSubscribeMessage(['tpl_shipped', 'tpl_refunded']))
      .toEqual(['tpl_shipped', 'tpl_refunded'])
    expect(yes).toHaveBeenCalledTimes(1)
    expect(yes.mock.calls[0]).toEqual([expect.stringMatching(/通知/)])
    const no = vi.fn(async () => false)
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX, no).requestSubscribeMessage(['tpl_shipped'])).toEqual([])
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX, yes).requestSubscribeMessage([])).toEqual([])
    expect(yes).toHaveBeenCalledTimes(1) // nothing to ask about: no sheet
    expect(await inBrowser(fakeWindow('http://x/m/'), SANDBOX).requestSubscribeMessage(['tpl'])).toEqual([]) // no sheet at all
  })
})

describe('review photos', () => {
  it('inside Alipay: picks with my.chooseImage and reads each file for the upload', async () => {
    const { my, calls } = fakeMy({ chooseImage: { ok: { apFilePaths: ['https://resource/a.jpg', 'https://resource/b.png', 'https://resource/c.jpg'] } } })
    const read: string[] = []
    ;(my as any).getFileSystemManager = () => ({
      readFile: ({ filePath, success }: any) => { read.push(filePath); success({ data: new ArrayBuffer(4) }) }
    })
    const photos = await inAlipay(my).chooseImages(2)
    expect(calls[0]).toEqual(['chooseImage', { count: 2, sourceType: ['album', 'camera'] }])
    expect(read).toEqual(['https://resource/a.jpg', 'https://resource/b.png']) // never more than asked for
    expect(photos.map(p => p.type)).toEqual(['image/jpeg', 'image/png'])
    expect(photos[0].data).toBeInstanceOf(ArrayBuffer)
  })

  it('inside Alipay: a closed picker gives no photos', async () => {
    expect(await inAlipay(fakeMy({ chooseImage: { fail: { error: 11 } } }).my).chooseImages(9)).toEqual([])
  })

  it('in a browser: a file input, the files picked (up to the count) as they are', async () => {
    const input: any = { click: vi.fn() }
    const win = fakeWindow('http://127.0.0.1:8080/m/#/pages/review/index', { document: { createElement: vi.fn(() => input) } })
    const picking = inBrowser(win, SANDBOX).chooseImages(2)
    expect(input.type).toBe('file')
    expect(input.multiple).toBe(true)
    expect(input.click).toHaveBeenCalled()
    const files = [new Blob(['a'], { type: 'image/png' }), new Blob(['b'], { type: 'image/jpeg' }), new Blob(['c'], { type: 'image/jpeg' })]
    input.files = files
    input.onchange()
    const photos = await picking
    expect(photos).toEqual([{ data: files[0], type: 'image/png' }, { data: files[1], type: 'image/jpeg' }])
  })
})
