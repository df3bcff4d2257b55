// The page's own confirm sheet (Taro's modal), standing in for Alipay's subscription sheet in a browser. A
// module of its own, loaded when first needed (platform.ts): Taro's modal, with its styles and icon font,
// is then not part of the script every page waits for.
import Taro from '@tarojs/taro'

export async function confirmSheet (question: string): Promise<boolean> {
  const answer = await Taro.showModal({ title: '消息通知', content: question, confirmText: '允许', cancelText: '暂不' })
  return answer.confirm
}
