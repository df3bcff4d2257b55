import { View } from '@tarojs/components'

import { ErrorLine, Loading, ProductGrid, type ProductCard } from '../../components/ui'
import { api } from '../../lib/api'
import { useLoad } from '../../lib/useLoad'

export default function FavoritesPage () {
  const { data, error } = useLoad(() => api<{ products: ProductCard[], stores: Array<{ id: string, name: string }> }>('GET', '/api/favorites'))
  return (
    <View className='page' data-testid='favorites'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && data.products.length === 0 && <View className='card muted'>还没有收藏的商品</View>}
      {data && <ProductGrid items={data.products} entry='favorites' />}
      {data && data.stores.length > 0 && <View className='card'>{data.stores.map(s => <View key={s.id} className='line'>{s.name}</View>)}</View>}
    </View>
  )
}
