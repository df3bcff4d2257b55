// Agreement deduction (商户代扣) on the pay-later page: a buyer signs a withholding agreement on Alipay's page
// once, and bills that fall due are then deducted by it. Whether it is signed is always the mall's answer
// (it asks Alipay), never the signing page's: coming back to this page checks again.
import { Text, View } from '@tarojs/components'

import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'
import { alipay } from '../../lib/platform'
import { useLoad } from '../../lib/useLoad'

interface Agreement { status: 'none' | 'signing' | 'active', agreement_no: string | null, sign_str?: string }

export default function AgreementCard ({ back }: { back: string }) {
  const { data, error, setError, setData } = useLoad(() => api<Agreement>('POST', '/api/me/pay-later/agreement/check'))

  async function sign () {
    try {
      const started = await api<Agreement>('POST', '/api/me/pay-later/agreement')
      if (started.status === 'active' || !started.sign_str) {
        setData(started)
        return
      }
      await alipay.signAgreement(started.sign_str, back) // the H5 build leaves for the sandbox's page here
      setData(await api<Agreement>('POST', '/api/me/pay-later/agreement/check'))
    } catch (e) {
      setError(messageOf(e))
    }
  }

  if (error) return <View className='card error' data-testid='agreement-error'>{error}</View>
  if (!data) return null
  return (
    <View className='card' data-testid='agreement' data-status={data.status}>
      <View className='row'>
        <Text>自动还款（支付宝代扣）</Text>
        <Text className={data.status === 'active' ? 'ok' : 'muted'}>{data.status === 'active' ? '已开通' : '未开通'}</Text>
      </View>
      {data.status === 'active'
        ? <View className='muted'>账单到期时从你的支付宝自动扣款，无需手动还款。</View>
        : <View className='btn btn-block' data-testid='sign-agreement' onClick={() => sign()}>开通自动还款</View>}
    </View>
  )
}
