// The adapter this build uses: Alipay's `my` in the mini-program, the sandbox's web pages in H5.
import { type Alipay, type BrowserWindow, inAlipay, inBrowser } from './alipay'

let webUrl: Promise<string | null> | undefined

function alipayWebUrl (): Promise<string | null> {
  webUrl ??= fetch(`${API_BASE}/api/client-config`)
    .then(async answer => answer.ok ? ((await answer.json()).alipay_web_url ?? null) : null)
    .catch(() => null)
  return webUrl
}

export const alipay: Alipay = process.env.TARO_ENV === 'alipay'
  ? inAlipay(my)
  : inBrowser(window as unknown as BrowserWindow, alipayWebUrl,
    async question => await (await import('./sheet')).confirmSheet(question))
