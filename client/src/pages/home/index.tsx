import { Image, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'

import { ErrorLine, ProductGrid, openProduct } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { type Placement, placementUrl } from '../../lib/engage'
import { type Home, takeHome, takeReadyHome } from '../../lib/home'
import { formatFen } from '../../lib/money'
import { alipay } from '../../lib/platform'

interface NearbyCoupon { id: string, name: string, amount_fen?: number, threshold_fen?: number, distance_m?: number, store?: { name: string } }
interface Store { id: string, name: string, address?: string, distance_m: number }

export default function HomePage () {
  const [home, setHome] = useState<Home | null>(takeReadyHome) // in the browser build, often in already
  const [coupons, setCoupons] = useState<NearbyCoupon[]>([])
  const [stores, setStores] = useState<Store[]>([])
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)

  useEffect(() => {
    // The page is usable as soon as /api/home answers; what is near comes after, once the location does.
    if (!home) takeHome().then(setHome, e => setError(messageOf(e))) // started by the app in the browser build
    void alipay.getLocation().then(async here => {
      if (!here) return
      const [nearbyCoupons, nearbyStores] = await Promise.all([
        api<{ items: NearbyCoupon[] }>('GET', '/api/coupons/nearby', { query: here }),
        api<{ items: Store[] }>('GET', '/api/stores/nearby', { query: { ...here, radius_m: 5000 } })
      ])
      setCoupons(nearbyCoupons.items.slice(0, 4))
      setStores(nearbyStores.items.slice(0, 3))
    }).catch(() => {}) // nearby parts are extras: the page stands without them
  }, [])

  async function claim (id: string) {
    try {
      await api('POST', `/api/coupons/${id}/claim`, { idempotent: true, entry: 'nearby' })
      setNotice('领取成功，下单时可用。')
    } catch (e) {
      setNotice(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='home'>
      <View className='search-bar card' onClick={() => Taro.navigateTo({ url: '/pages/search/index' })}>
        <View className='input muted' data-testid='home-search'>搜索商品，支持拼音</View>
      </View>
      <ErrorLine message={error} />
      {!home && !error && <View className='skeleton' data-testid='home-skeleton'><View className='skeleton-chips' /><View className='grid'>{[1, 2, 3, 4].map(n => <View key={n} className='skeleton-card' />)}</View></View>}
      {home && (
        <View className='card' data-testid='categories'>
          <View className='chips'>
            {home.categories.map(c => (
              <View key={c.id} className='chip' onClick={() => Taro.navigateTo({ url: `/pages/category/index?id=${c.id}&name=${encodeURIComponent(c.name)}` })}>{c.name}</View>
            ))}
          </View>
        </View>
      )}
      {home?.banners && home.banners.length > 0 && (
        <View className='banners' data-testid='banners'>
          {home.banners.map(b => <Banner key={b.id} banner={b} />)}
        </View>
      )}
      {home?.flash_sales && home.flash_sales.length > 0 && (
        <View className='card' data-testid='home-flash-sales'>
          <View className='title'>限时秒杀</View>
          {home.flash_sales.map(f => (
            <View key={f.id} className='row line' data-testid='home-flash-sale' onClick={() => openProduct(f.product_id, 'home')}>
              <Text>{f.name}</Text>
              <Text><Text className='price'>{formatFen(f.price_fen)}</Text> <Text className='muted strike'>{formatFen(f.list_price_fen)}</Text> <Text className='muted'>{f.state === 'upcoming' ? '即将开始' : `剩 ${f.remaining} 件`}</Text></Text>
            </View>
          ))}
        </View>
      )}
      {home?.collections?.map(c => (
        <View key={c.id} data-testid='collection'>
          <View className='title'>{c.title}</View>
          <ProductGrid items={c.products ?? []} entry='home' />
        </View>
      ))}
      {coupons.length > 0 && (
        <View className='card' data-testid='nearby-coupons'>
          <View className='title'>附近的优惠</View>
          {notice && <View className='muted'>{notice}</View>}
          {coupons.map(c => (
            <View key={c.id} className='row line'>
              <View>
                <View>{c.name}</View>
                <Text className='muted'>{c.store?.name}{c.distance_m !== undefined ? ` · ${c.distance_m} 米` : ''}{c.threshold_fen ? ` · 满${formatFen(c.threshold_fen)}可用` : ''}</Text>
              </View>
              <View className='btn-ghost' onClick={() => claim(c.id)}>领取</View>
            </View>
          ))}
        </View>
      )}
      {stores.length > 0 && (
        <View className='card' data-testid='nearby-stores' onClick={() => Taro.navigateTo({ url: '/pages/stores/index' })}>
          <View className='title'>附近门店</View>
          {stores.map(s => <View key={s.id} className='row line'><Text>{s.name}</Text><Text className='muted'>{s.distance_m} 米</Text></View>)}
        </View>
      )}
      {home && (
        <View>
          <View className='title'>为你推荐</View>
          <ProductGrid items={home.recommended} entry='home' testId='recommended' />
          {home.recommended.length === 0 && <View className='muted'>暂无推荐</View>}
        </View>
      )}
    </View>
  )
}

function Banner ({ banner }: { banner: Placement }) {
  const url = placementUrl(banner)
  return (
    <View className='banner' data-testid='banner' onClick={() => { if (url) void Taro.navigateTo({ url }) }}>
      {banner.image ? <Image className='banner-image' src={banner.image} mode='aspectFill' /> : null}
      <Text className='banner-title'>{banner.title}</Text>
    </View>
  )
}
