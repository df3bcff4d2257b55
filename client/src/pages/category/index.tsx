import { View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect } from 'react'

import { ErrorLine, Loading, ProductGrid, type ProductCard } from '../../components/ui'
import { api } from '../../lib/api'
import { useLoad } from '../../lib/useLoad'

export default function CategoryPage () {
  const { id = '', name = '' } = useRouter().params
  const { data, error } = useLoad(() => api<{ items: ProductCard[], total: number }>('GET', `/api/categories/${id}/products`, { query: { page_size: 40 } }), [id])
  useEffect(() => { if (name) void Taro.setNavigationBarTitle({ title: decodeURIComponent(name) }) }, [name])
  return (
    <View className='page' data-testid='category'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data && <ProductGrid items={data.items} entry='home' />}
    </View>
  )
}
