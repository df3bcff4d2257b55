// The gateway's client contract (docs/API-CONTRACT.md): JSON in and out, a bearer token, problem+json
// errors turned into ApiError (a sentence for the buyer), Idempotency-Key on retryable writes.
import Taro from '@tarojs/taro'

import { ApiError, type Problem } from './errors'
import { alipay } from './platform'

export interface User { id: string, nickname: string }
interface Session { token: string, refresh_token: string, user: User }
interface Answer { status: number, data: any }
type Query = { [key: string]: string | number | undefined | null }

const SESSION_KEY = 'mpmall.session'

export interface CallOptions {
  query?: Query
  body?: unknown
  /** A body sent as it is (a photo for POST /api/me/images) instead of JSON. */
  raw?: { data: ArrayBuffer | Blob, type: string }
  /** A retryable write: one Idempotency-Key for this call, kept when the call is sent again. */
  idempotent?: boolean
  entry?: string
}

function queryString (query: Query | undefined): string {
  const parts = Object.entries(query ?? {})
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function newKey (): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`
}

async function send (method: string, path: string, options: CallOptions, headers: Record<string, string>): Promise<Answer> {
  const url = `${API_BASE}${path}${queryString(options.query)}`
  const withBody = options.body !== undefined || options.raw !== undefined
  const type = options.raw ? options.raw.type : 'application/json'
  const header: Record<string, string> = { ...headers, ...(withBody ? { 'Content-Type': type } : {}) }
  const payload = options.raw ? options.raw.data : options.body
  try {
    // One branch per build, as an if/else: the build drops the other one, and with it (in H5) Taro's request
    // and the fetch, AbortController and JSONP polyfills it brings, which the browser's fetch does not need.
    if (process.env.TARO_ENV === 'h5') {
      const answer = await fetch(url, { method, headers: header, body: withBody ? (options.raw ? options.raw.data : JSON.stringify(options.body)) : undefined })
      const text = await answer.text()
      return { status: answer.status, data: text ? JSON.parse(text) : null }
    } else {
      const answer = await Taro.request({ url, method: method as any, header, data: withBody ? payload : undefined, dataType: 'json' })
      return { status: answer.statusCode, data: answer.data }
    }
  } catch (error: any) {
    // my.request reports 4xx/5xx answers as failures that still carry the status and body.
    const status = error?.statusCode ?? error?.status
    if (typeof status === 'number' && status > 0) return { status, data: error.data ?? null }
    throw new ApiError(0, { code: 'network' })
  }
}

function storedSession (): Session | null {
  const session = Taro.getStorageSync(SESSION_KEY)
  return session && typeof session === 'object' && session.token ? session as Session : null
}

let signingIn: Promise<Session> | null = null

/** Sign in with an Alipay auth code (once, however many calls are waiting for it). */
export function signIn (): Promise<Session> {
  signingIn ??= (async () => {
    try {
      const authCode = await alipay.getAuthCode()
      const answer = await send('POST', '/api/session', { body: { auth_code: authCode } }, {})
      if (answer.status !== 200) throw new ApiError(answer.status, answer.data as Problem)
      Taro.setStorageSync(SESSION_KEY, answer.data)
      return answer.data as Session
    } finally {
      signingIn = null
    }
  })()
  return signingIn
}

async function refreshed (session: Session): Promise<Session> {
  const answer = await send('POST', '/api/session/refresh', { body: { refresh_token: session.refresh_token } }, {})
  if (answer.status !== 200) {
    Taro.removeStorageSync(SESSION_KEY)
    return signIn()
  }
  Taro.setStorageSync(SESSION_KEY, answer.data)
  return answer.data as Session
}

export function currentUser (): User | null {
  return storedSession()?.user ?? null
}

/** Call the gateway as the signed-in buyer (signing in first when needed); the answer's JSON, or ApiError. */
export async function api<T = any> (method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {}
  if (options.idempotent) headers['Idempotency-Key'] = newKey()
  if (options.entry) headers['X-Entry'] = options.entry
  let session = storedSession() ?? await signIn()
  let answer = await send(method, path, options, { ...headers, Authorization: `Bearer ${session.token}` })
  if (answer.status === 401) { // expired or revoked: refresh (or sign in again) and send the same call once more
    session = answer.data?.code === 'token_expired' ? await refreshed(session) : await signInAgain()
    answer = await send(method, path, options, { ...headers, Authorization: `Bearer ${session.token}` })
  }
  if (answer.status >= 400) throw new ApiError(answer.status, (answer.data ?? {}) as Problem)
  return answer.data as T
}

function signInAgain (): Promise<Session> {
  Taro.removeStorageSync(SESSION_KEY)
  return signIn()
}
