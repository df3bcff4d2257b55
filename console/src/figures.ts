/* The dashboard's figures as people read them: rates as percents, durations (the API speaks whole seconds)
 * as hours. Both show a dash where the API has no figure (null: nothing to measure in the range). */

/** 0.3333 → "33.3%"; null/undefined → "–". */
export function formatPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`;
}

/** 7200 → "2.0 h"; null/undefined → "–". */
export function formatHours(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? "–" : `${(seconds / 3600).toFixed(1)} h`;
}
