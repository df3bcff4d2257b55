// The home page's one call (GET /api/home), started by the app itself in the browser build so that it runs
// while the home page's own script is still downloading (the page would otherwise ask only once loaded).
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

/** Start loading the home page's data now (the app's start, when the home page is what opens). */
export function startHome (): void {
  early ??= loadHome()
  early.catch(() => {}) // the page shows the failure when it takes the answer
}

/** The early answer once (a later visit loads afresh), or a new call. */
export function takeHome (): Promise<Home> {
  const answer = early ?? loadHome()
  early = null
  return answer
}
