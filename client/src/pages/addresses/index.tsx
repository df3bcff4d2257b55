import { Input, Text, View } from '@tarojs/components'
import { useState } from 'react'

import { ErrorLine, Loading } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { alipay } from '../../lib/platform'
import { useLoad } from '../../lib/useLoad'

interface Address { id: string, name: string, phone: string, province: string, city: string, district: string, detail: string, region_code: string, is_default: boolean }
const FIELDS: Array<[keyof Address, string]> = [
  ['name', '收货人'], ['phone', '手机号'], ['province', '省份'], ['city', '城市'], ['district', '区县'], ['detail', '详细地址'], ['region_code', '地区编码（6 位）']
]
const EMPTY: Record<string, string> = { name: '', phone: '', province: '', city: '', district: '', detail: '', region_code: '' }

export default function AddressesPage () {
  const { data, error, setError, reload } = useLoad(() => api<{ items: Address[] }>('GET', '/api/me/addresses'))
  const [form, setForm] = useState(EMPTY)

  async function save (body: Record<string, unknown>) {
    try {
      await api('POST', '/api/me/addresses', { idempotent: true, body })
      setForm(EMPTY)
      await reload()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function fromAlipay () {
    const picked = await alipay.getAddress()
    if (picked) await save({ alipay_address: picked })
    else setError('没有选择支付宝地址，请手动填写。')
  }

  async function remove (id: string) {
    try {
      await api('DELETE', `/api/me/addresses/${id}`)
      await reload()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='addresses'>
      <ErrorLine message={error} />
      {!data && !error && <Loading />}
      {data?.items.map(a => (
        <View key={a.id} className='card'>
          <View className='row'><Text>{a.name} {a.phone}{a.is_default ? '（默认）' : ''}</Text><Text className='muted' onClick={() => remove(a.id)}>删除</Text></View>
          <View className='muted'>{a.province}{a.city}{a.district}{a.detail}</View>
        </View>
      ))}
      {process.env.TARO_ENV === 'alipay' && <View className='btn btn-block' onClick={fromAlipay}>使用支付宝收货地址</View>}
      <View className='card'>
        <View className='title'>新增地址</View>
        {FIELDS.map(([field, label]) => (
          <View key={field} className='row line'>
            <Text>{label}</Text>
            <Input className='input' data-testid={`address-${field}`} value={form[field]} onInput={e => setForm({ ...form, [field]: e.detail.value })} />
          </View>
        ))}
        <View className='btn btn-block' data-testid='address-save' onClick={() => save(form)}>保存</View>
      </View>
    </View>
  )
}
