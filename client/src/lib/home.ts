// The home page's one call (GET /api/home). In the browser build it is asked for before the app's scripts
// have arrived (src/h5/early-home.js, from index.html), or else by the app's start, so that the page's data
// is on its way while its script still loads and runs.
import { api } from './api'
import { type Placement } from './engage'

export interface Category { id: string, name: string }
export interface HomeCard { id: string, name: string, price_fen: number, image?: string | null, sold?: number }
export interface HomeFlashSale { id: string, product_id: string, name: string, price_fen: number, list_price_fen: number, remaining: number, state: string, starts_at: string, ends_at: string }
export interface Home {
  categories: Category[], recommended: HomeCard[]
  banners?: Placement[], collections?: Placement[], flash_sales?: HomeFlashSale[]
}

let early: Promise<Home> | null = null

export function loadHome (): Promise<Home> {
  return api<Home>('GET', '/api/home', { entry: 'home' })
}

/** What src/h5/early-home.js asked for, if it did: the answer when it is a 200, else the call made afresh
 * (through api(): a refused token is refreshed or the buyer signs in again). */
async function earlyOrLoad (asked: Promise<Response | null>): Promise<Home> {
  const answer = await asked
  return answer?.status === 200 ? await answer.json() as Home : await loadHome()
}

/** Start loading the home page's data now (the app's start, when the home page is what opens). */
export function startHome (): void {
  const asked = (window as unknown as { __mallEarlyHome?: Promise<Response | null> }).__mallEarlyHome
  early ??= asked ? earlyOrLoad(asked) : loadHome()
  early.catch(() => {}) // the page shows the failure when it takes the answer
}

/** The early answer once (a later visit loads afresh), or a new call. */
export function takeHome (): Promise<Home> {
  const answer = early ?? loadHome()
  early = null
  return answer
}
