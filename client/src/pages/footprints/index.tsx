import { Text, View } from '@tarojs/components'

import { ErrorLine, Loading, ProductGrid, type ProductCard } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { useLoad } from '../../lib/useLoad'

/** The products the buyer viewed, newest first (a product page opened while signed in leaves one). */
export default function FootprintsPage () {
  const { data, error, setData, setError } = useLoad(() => api<{ items: ProductCard[] }>('GET', '/api/me/footprints'))

  async function clear () {
    try {
      await api('DELETE', '/api/me/footprints')
      setData({ items: [] })
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='footprints'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && <View className='card muted'>还没有浏览过的商品</View>}
      {data && data.items.length > 0 && (
        <View>
          <View className='row'><Text className='title'>最近浏览</Text><Text className='muted' data-testid='clear-footprints' onClick={clear}>清空</Text></View>
          <ProductGrid items={data.items} entry='other' testId='footprint-items' />
        </View>
      )}
    </View>
  )
}
