// Review photos: picked through the adapter (a file input in H5, my.chooseImage in Alipay), each sent to
// POST /api/me/images; the URLs it gives go in the review's `images`.
import { api } from './api'
import { alipay } from './platform'

export const MAX_REVIEW_IMAGES = 9

/** Pick up to `room` photos and upload them; their URLs in the order picked. */
export async function pickAndUpload (room: number): Promise<string[]> {
  if (room <= 0) return []
  const photos = await alipay.chooseImages(room)
  const urls: string[] = []
  for (const photo of photos.slice(0, room)) { // one at a time: a failure stops with what was sent so far shown
    const answer = await api<{ url: string }>('POST', '/api/me/images', { raw: photo, idempotent: true })
    urls.push(answer.url)
  }
  return urls
}
