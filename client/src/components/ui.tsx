import { Image, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import qrcode from 'qrcode-generator'
import { useMemo } from 'react'

import { formatFen } from '../lib/money'

export interface ProductCard { id: string, name: string, price_fen: number, image?: string | null, sold?: number }

export function Price ({ fen, testId }: { fen: number, testId?: string }) {
  return <Text className='price' data-testid={testId} data-fen={fen}>{formatFen(fen)}</Text>
}

/** The sentence for a failure (never its code); nothing when there is none. */
export function ErrorLine ({ message }: { message: string | null }) {
  return message ? <View className='error' data-testid='error'>{message}</View> : null
}

export function Loading () {
  return <View className='muted'>加载中…</View>
}

export function openProduct (id: string, entry = 'home') {
  void Taro.navigateTo({ url: `/pages/product/index?id=${encodeURIComponent(id)}&entry=${entry}` })
}

export function ProductGrid ({ items, entry, testId }: { items: ProductCard[], entry: string, testId?: string }) {
  return (
    <View className='grid' data-testid={testId}>
      {items.map(p => (
        <View key={p.id} className='product' data-testid='product-card' data-id={p.id} onClick={() => openProduct(p.id, entry)}>
          <View className='product-image'>{p.name.slice(0, 4)}</View>
          <View className='product-body'>
            <View className='product-name'>{p.name}</View>
            <View className='row'><Price fen={p.price_fen} />{p.sold !== undefined && <Text className='muted'>已售 {p.sold}</Text>}</View>
          </View>
        </View>
      ))}
    </View>
  )
}

/** A QR code drawn on the device from the text (no image service): a GIF data URL in an Image. */
export function QrCode ({ text, testId }: { text: string, testId?: string }) {
  const src = useMemo(() => {
    const code = qrcode(0, 'M')
    code.addData(text)
    code.make()
    return code.createDataURL(6, 12)
  }, [text])
  return <Image className='qr' src={src} data-testid={testId} data-text={text} />
}
