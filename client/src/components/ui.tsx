import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'

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
