// The adapter this build uses: Alipay's `my` in the mini-program, the sandbox's web pages in H5.
import Taro from '@tarojs/taro'

import { type Alipay, type BrowserWindow, inAlipay, inBrowser } from './alipay'

let webUrl: Promise<string | null> | undefined

function alipayWebUrl (): Promise<string | null> {
  webUrl ??= fetch(`${API_BASE}/api/client-config`)
    .then(async answer => answer.ok ? ((await answer.json()).alipay_web_url ?? null) : null)
    .catch(() => null)
  return webUrl
}

/** The page's own confirm sheet (Taro's modal), standing in for Alipay's subscription sheet. */
async function confirmSheet (question: string): Promise<boolean> {
  const answer = await Taro.showModal({ title: '消息通知', content: question, confirmText: '允许', cancelText: '暂不' })
  return answer.confirm
}

export const alipay: Alipay = process.env.TARO_ENV === 'alipay'
  ? inAlipay(my)
  : inBrowser(window as unknown as BrowserWindow, alipayWebUrl, confirmSheet)
