// Alipay subscription messages: the buyer grants message templates (one message each) with
// my.requestSubscribeMessage; the mall records the grants and sends when the order moves.
import { api } from './api'
import { alipay } from './platform'

interface Template { kind: string, template_id: string, unused_grants: number }

// What a buyer waits for after paying. Alipay's sheet takes at most three templates at once.
const AFTER_PAYING = ['order_shipped', 'pickup_ready', 'order_refunded']

/** The mall's template ids for the after-paying messages (load them before the buyer taps). */
export async function afterPayingTemplates (): Promise<string[]> {
  const mine = await api<{ templates: Template[] }>('GET', '/api/me/subscriptions')
  return AFTER_PAYING.map(kind => mine.templates.find(t => t.kind === kind)?.template_id).filter((id): id is string => !!id)
}

/** Ask for those messages and record what was granted; how many were granted. Call it straight from a tap,
 * with nothing awaited before: Alipay shows its sheet only in answer to one. */
export async function subscribe (templateIds: string[]): Promise<number> {
  const granted = await alipay.requestSubscribeMessage(templateIds)
  if (granted.length > 0) await api('POST', '/api/me/subscriptions', { idempotent: true, body: { template_ids: granted } })
  return granted.length
}
