import { Image, Input, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useState } from 'react'

import { ErrorLine } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { MAX_REVIEW_IMAGES, pickAndUpload } from '../../lib/photos'

/** Write a review of a completed order line (stars, text, up to 9 photos), or with `review_id` its one
 * follow-up (text and photos). */
export default function ReviewPage () {
  const { order_id: orderId = '', sku_id: skuId = '', review_id: reviewId, name = '' } = useRouter().params
  const followup = Boolean(reviewId)
  const [rating, setRating] = useState(5)
  const [text, setText] = useState('')
  const [images, setImages] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function addPhotos () {
    try {
      const urls = await pickAndUpload(MAX_REVIEW_IMAGES - images.length)
      setImages(current => [...current, ...urls].slice(0, MAX_REVIEW_IMAGES))
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function submit () {
    if (busy) return
    if (followup && !text.trim()) { setError('请写下追评内容。'); return }
    setBusy(true)
    try {
      if (followup) await api('POST', `/api/reviews/${encodeURIComponent(reviewId ?? '')}/followup`, { idempotent: true, body: { text: text.trim(), images } })
      else await api('POST', '/api/reviews', { idempotent: true, body: { order_id: orderId, sku_id: skuId, rating, text: text.trim() || undefined, images } })
      void Taro.showToast({ title: followup ? '追评已发布' : '评价已发布' })
      void Taro.navigateBack()
    } catch (e) {
      setError(messageOf(e))
      setBusy(false)
    }
  }

  return (
    <View className='page' data-testid='review-form'>
      <View className='card'>
        <View className='title'>{followup ? '追加评价' : '评价'} {decodeURIComponent(name)}</View>
        {!followup && (
          <View className='row' data-testid='stars'>
            {[1, 2, 3, 4, 5].map(n => <Text key={n} className={n <= rating ? 'price big' : 'muted big'} data-testid={`star-${n}`} onClick={() => setRating(n)}>★</Text>)}
          </View>
        )}
        <Input className='input' data-testid='review-text' value={text} maxlength={500} placeholder={followup ? '用了一段时间，感觉如何？' : '说说你的使用感受'} onInput={e => setText(e.detail.value)} />
        <View className='chips'>
          {images.map(url => <Image key={url} className='review-image' src={url} mode='aspectFill' data-testid='review-photo' />)}
          {images.length < MAX_REVIEW_IMAGES && <View className='chip' data-testid='add-photos' onClick={addPhotos}>＋ 照片（{images.length}/{MAX_REVIEW_IMAGES}）</View>}
        </View>
      </View>
      <ErrorLine message={error} />
      <View className='btn btn-block' data-testid='submit-review' onClick={submit}>{busy ? '提交中…' : '发布'}</View>
    </View>
  )
}
