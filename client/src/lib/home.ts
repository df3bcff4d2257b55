// The home page's one call (GET /api/home), started by the app itself in the browser build so that it runs
// while the home page's own script is still downloading (the page would otherwise ask only once loaded).
import { api } from './api'

export interface Category { id: string, name: string }
export interface HomeCard { id: string, name: string, price_fen: number, image?: string | null, sold?: number }
export interface Home { categories: Category[], recommended: HomeCard[] }

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
