// The one place the client talks to Alipay. Inside Alipay it wraps `my.*`; in a browser (the H5 build) it
// uses the Alipay sandbox's web pages (authorisation, cashier, deposit-free freeze, agreement signing), the
// browser's geolocation and typed codes.
import { ApiError } from './errors'

export type Location = { lat: number, lng: number }
/** What the cashier said: the mall still asks the server (payment-check) before showing an order paid. */
export type PayOutcome = 'paid' | 'cancelled' | 'pending' | 'failed'
/** A photo the buyer picked, ready to send as the body of POST /api/me/images. */
export interface Photo { data: ArrayBuffer | Blob, type: string }

export interface Alipay {
  /** A one-time auth code for POST /api/session. In a browser the page leaves for the authorisation page
   * and comes back with the code in its URL; the promise of the leaving page never settles. */
  getAuthCode: () => Promise<string>
  /** Pay an Alipay trade. `returnPath` is the page (H5 route) the browser cashier returns to. */
  tradePay: (tradeNo: string, returnPath: string) => Promise<PayOutcome>
  /** Confirm a Sesame deposit-free freeze: the server's signed `alipay.fund.auth.order.app.freeze` order string
   * (`deposit_auth.order_str`). The mall asks Alipay afterwards (deposit-check); `returnPath` is the H5 page the
   * browser's freeze sheet returns to. */
  confirmFreeze: (orderStr: string, returnPath: string) => Promise<FreezeOutcome>
  /** Where the buyer is, or null when not allowed or not known in time. */
  getLocation: () => Promise<Location | null>
  /** A scanned (or typed) QR or barcode text, or null when cancelled. */
  scan: () => Promise<string | null>
  /** An address from the buyer's Alipay address book (sent to the server as `alipay_address`), or null. */
  getAddress: () => Promise<Record<string, unknown> | null>
  /** The message templates the buyer agreed to be notified with. */
  requestSubscribeMessage: (templateIds: string[]) => Promise<string[]>
  /** Up to `count` photos from the album or camera (none when the buyer cancels). */
  chooseImages: (count: number) => Promise<Photo[]>
  /** Sign a withholding agreement on Alipay's page (the server's signed `alipay.user.agreement.page.sign`
   * string). The mall asks Alipay afterwards (agreement/check); `returnPath` is the H5 page to come back to. */
  signAgreement: (signStr: string, returnPath: string) => Promise<SignOutcome>
}

/** What Alipay's freeze sheet said: the mall still asks the server (deposit-check) before showing it frozen. */
export type FreezeOutcome = 'confirmed' | 'cancelled' | 'pending' | 'failed'

/** What the signing page said: the mall still asks Alipay before showing the agreement active. */
export type SignOutcome = 'signed' | 'cancelled' | 'failed'

// --- inside Alipay ------------------------------------------------------------------------------------

type MyCall = (options: Record<string, unknown>) => void
export type My = Record<string, MyCall>

function call (my: My, name: string, options: Record<string, unknown> = {}): Promise<any> {
  return new Promise((resolve, reject) => {
    my[name]({ ...options, success: resolve, fail: reject })
  })
}

// my.paySignCenter result statuses: 7000 signed, 6001 the buyer left.
const SIGN_OUTCOMES: Record<string, SignOutcome> = { 7000: 'signed', 6001: 'cancelled' }

// my.tradePay result codes: 9000 paid, 8000 / 6004 being processed (ask the server), 6001 the buyer left.
const TRADE_PAY_OUTCOMES: Record<string, PayOutcome> = { 9000: 'paid', 8000: 'pending', 6004: 'pending', 6001: 'cancelled' }

// The same codes for a freeze order string: 9000 the buyer confirmed the freeze.
const FREEZE_OUTCOMES: Record<string, FreezeOutcome> = { 9000: 'confirmed', 8000: 'pending', 6004: 'pending', 6001: 'cancelled' }

export function inAlipay (my: My): Alipay {
  return {
    async getAuthCode () {
      const answer = await call(my, 'getAuthCode', { scopes: ['auth_user'] })
      return String(answer.authCode)
    },
    async tradePay (tradeNo) {
      try {
        const answer = await call(my, 'tradePay', { tradeNO: tradeNo })
        return TRADE_PAY_OUTCOMES[String(answer.resultCode)] ?? 'failed'
      } catch {
        return 'failed'
      }
    },
    async confirmFreeze (orderStr) {
      try {
        const answer = await call(my, 'tradePay', { orderStr })
        return FREEZE_OUTCOMES[String(answer.resultCode)] ?? 'failed'
      } catch {
        return 'failed'
      }
    },
    async getLocation () {
      try {
        const answer = await call(my, 'getLocation', { type: 0 })
        const lat = Number(answer.latitude)
        const lng = Number(answer.longitude)
        return Number.isFinite(lat) && Number.isFinite(lng) ? { lat, lng } : null
      } catch {
        return null // refused or unavailable: the pages work without it
      }
    },
    async scan () {
      try {
        const answer = await call(my, 'scan', { scanType: ['qrCode', 'barCode'] })
        const code = answer.code ?? answer.result
        return code ? String(code) : null
      } catch {
        return null // the buyer closed the scanner
      }
    },
    async getAddress () {
      try {
        const answer = await call(my, 'getAddress')
        return String(answer.resultStatus) === '9000' && answer.result ? answer.result : null
      } catch {
        return null
      }
    },
    async requestSubscribeMessage (templateIds) {
      try {
        const answer = await call(my, 'requestSubscribeMessage', { entityIds: templateIds })
        const granted = answer?.result?.subscribeEntityIds
        return Array.isArray(granted) ? granted.map(String) : []
      } catch {
        return []
      }
    },
    async signAgreement (signStr) {
      try {
        const answer = await call(my, 'paySignCenter', { signStr })
        return SIGN_OUTCOMES[String(answer.resultStatus)] ?? 'failed'
      } catch {
        return 'failed'
      }
    },
    async chooseImages (count) {
      let paths: string[]
      try {
        const answer = await call(my, 'chooseImage', { count, sourceType: ['album', 'camera'] })
        paths = (answer.apFilePaths ?? answer.tempFilePaths ?? []).map(String).slice(0, count)
      } catch {
        return [] // the buyer closed the picker
      }
      const files = (my as any).getFileSystemManager()
      return await Promise.all(paths.map(async filePath => {
        const read = await new Promise<any>((resolve, reject) => files.readFile({ filePath, success: resolve, fail: reject }))
        return { data: read.data as ArrayBuffer, type: /\.png$/i.test(filePath) ? 'image/png' : 'image/jpeg' }
      }))
    }
  }
}

// --- in a browser (H5) --------------------------------------------------------------------------------

export interface BrowserWindow {
  location: { href: string, origin: string, pathname: string, assign: (url: string) => void }
  history: { replaceState: (data: unknown, unused: string, url: string) => void }
  navigator: { geolocation?: { getCurrentPosition: (ok: (p: { coords: { latitude: number, longitude: number } }) => void, fail: () => void, options: Record<string, unknown>) => void } }
  prompt: (message: string) => string | null
  document: { createElement: (tag: 'input') => FileInput }
}

/** The part of an <input type=file> the adapter uses. */
export interface FileInput {
  type: string, accept: string, multiple: boolean
  files: ArrayLike<Blob> | null
  onchange: (() => void) | null
  click: () => void
}

const LOCATION_TIMEOUT_MS = 5000
const never = <T>(): Promise<T> => new Promise<T>(() => {})

/** Asks the buyer a yes-or-no question on the page (a confirm sheet); true for yes. */
export type Confirm = (question: string) => Promise<boolean>

/** `alipayWebUrl` is where the Alipay (sandbox) web pages are: GET /api/client-config, null when none.
 * `confirm` stands in for Alipay's subscription sheet: one question for all the templates asked. */
export function inBrowser (win: BrowserWindow, alipayWebUrl: () => Promise<string | null>, confirm: Confirm = async () => false): Alipay {
  async function web (): Promise<string> {
    const url = await alipayWebUrl()
    if (!url) throw new ApiError(0, { code: 'alipay_web_unavailable' })
    return url.replace(/\/+$/, '')
  }

  return {
    async getAuthCode () {
      const here = new URL(win.location.href)
      const code = here.searchParams.get('auth_code')
      if (code) { // back from the authorisation page: use the code once and take it out of the address
        here.searchParams.delete('auth_code')
        win.history.replaceState(null, '', here.toString())
        return code
      }
      win.location.assign(`${await web()}/sandbox/authorize?redirect_uri=${encodeURIComponent(win.location.href)}`)
      return never<string>()
    },
    async tradePay (tradeNo, returnPath) {
      const back = `${win.location.origin}${win.location.pathname}#${returnPath}`
      win.location.assign(`${await web()}/sandbox/cashier?trade_no=${encodeURIComponent(tradeNo)}&return_url=${encodeURIComponent(back)}`)
      return never<PayOutcome>()
    },
    async confirmFreeze (orderStr, returnPath) {
      const back = `${win.location.origin}${win.location.pathname}#${returnPath}`
      win.location.assign(`${await web()}/sandbox/fund-auth?order_str=${encodeURIComponent(orderStr)}&return_url=${encodeURIComponent(back)}`)
      return never<FreezeOutcome>()
    },
    async signAgreement (signStr, returnPath) {
      const back = `${win.location.origin}${win.location.pathname}#${returnPath}`
      win.location.assign(`${await web()}/sandbox/agreement-sign?sign_str=${encodeURIComponent(signStr)}&return_url=${encodeURIComponent(back)}`)
      return never<SignOutcome>()
    },
    getLocation () {
      const geolocation = win.navigator.geolocation
      if (!geolocation) return Promise.resolve(null)
      return new Promise(resolve => {
        geolocation.getCurrentPosition(
          position => resolve({ lat: position.coords.latitude, lng: position.coords.longitude }),
          () => resolve(null),
          { timeout: LOCATION_TIMEOUT_MS, maximumAge: 60_000 })
      })
    },
    async scan () {
      const typed = win.prompt('请输入二维码或条形码内容')
      return typed && typed.trim() ? typed.trim() : null
    },
    async getAddress () {
      return null // no Alipay address book in a browser: the address form is filled by hand
    },
    async requestSubscribeMessage (templateIds) {
      // Alipay's sheet lets the buyer pick; the page's sheet asks once for all of them.
      if (templateIds.length === 0) return []
      return await confirm('订单发货、待自提、送达和退款时，用支付宝消息通知你？') ? [...templateIds] : []
    },
    chooseImages (count) {
      // A file input: the promise settles when the buyer picks (a cancelled picker leaves it waiting, harmless).
      const input = win.document.createElement('input')
      input.type = 'file'
      input.accept = 'image/jpeg,image/png,image/webp'
      input.multiple = count > 1
      return new Promise(resolve => {
        input.onchange = () => {
          const picked = Array.from(input.files ?? []).slice(0, count)
          resolve(picked.map(file => ({ data: file, type: file.type || 'image/jpeg' })))
        }
        input.click()
      })
    }
  }
}
