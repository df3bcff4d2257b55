import { Text, View } from '@tarojs/components'
import { useEffect, useState } from 'react'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { alipay } from '../../lib/platform'

interface Store { id: string, name: string, address?: string, distance_m: number }

export default function StoresPage () {
  const [stores, setStores] = useState<Store[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    alipay.getLocation().then(async here => {
      if (!here) { setError('没有获取到你的位置，请允许定位后再试。'); return }
      setStores((await api<{ items: Store[] }>('GET', '/api/stores/nearby', { query: { ...here, radius_m: 20000 }, entry: 'nearby' })).items)
    }).catch(e => setError(messageOf(e)))
  }, [])

  return (
    <View className='page' data-testid='stores'>
      <ErrorLine message={error} />
      {!stores && !error && <Loading />}
      {stores?.length === 0 && <View className='card muted'>附近没有门店</View>}
      {stores?.map(s => (
        <View key={s.id} className='card'>
          <View className='row'><Text className='title'>{s.name}</Text><Text className='muted'>{s.distance_m < 1000 ? `${s.distance_m} 米` : `${(s.distance_m / 1000).toFixed(1)} 公里`}</Text></View>
          {s.address && <View className='muted'>{s.address}</View>}
        </View>
      ))}
    </View>
  )
}
