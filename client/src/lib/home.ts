// The home page's one call (GET /api/home). In the browser build it is asked for before the app's scripts
// have arrived (src/h5/home-data.js, from index.html), or else by the app's start, so that the page's data
// is on its way while its script still loads and runs, and usually in by the page's first render.
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
let ready: Home | null = null // the early answer, once it is in: the page's first render can draw it

export function loadHome (): Promise<Home> {
  return api<Home>('GET', '/api/home', { entry: 'home' })
}

interface EarlyHome { __mallEarlyHome?: Promise<Home | null>, __mallHome?: Home | null }

/** What src/h5/home-data.js asked for, if it did: its parsed answer when that was a 200, else the call made
 * afresh (through api(): a refused token is refreshed or the buyer signs in again). */
async function earlyOrLoad (asked: Promise<Home | null>): Promise<Home> {
  return await asked ?? await loadHome()
}

/** Start loading the home page's data now (the app's start, when the home page is what opens). */
export function startHome (): void {
  if (early) return
  const page = window as unknown as EarlyHome
  if (page.__mallHome) ready = page.__mallHome // answered and parsed before the app's scripts arrived
  const answer = early = page.__mallEarlyHome ? earlyOrLoad(page.__mallEarlyHome) : loadHome()
  answer.then(home => { if (early === answer) ready = home }, () => {}) // a failure shows when the page takes it
}

/** The early answer when it is already in (then taken), so that the page draws its products in its first
 * render rather than a skeleton, an effect after the next paint and a second render. */
export function takeReadyHome (): Home | null {
  const home = ready
  if (home) early = ready = null
  return home
}

/** The early answer once (a later visit loads afresh), or a new call. */
export function takeHome (): Promise<Home> {
  const answer = early ?? loadHome()
  early = ready = null
  return answer
}
