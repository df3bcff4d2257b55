import Taro from '@tarojs/taro'

// What the checkout page is about to buy, handed over by the product page ("buy now") or the cart.
export interface BasketItem { sku_id: string, qty: number }
const KEY = 'mpmall.checkout'

/** `flash_sale_id`: bought at that flash sale's price; `group_buy`: opens ({deal_id}) or joins ({group_id}) a group. */
export interface Basket {
  items: BasketItem[], entry: string, merchant_id: string
  flash_sale_id?: string
  group_buy?: { deal_id: string } | { group_id: string }
}

export function startCheckout (basket: Basket) {
  Taro.setStorageSync(KEY, basket)
  void Taro.navigateTo({ url: '/pages/checkout/index' })
}

export function checkoutBasket (): Basket {
  const stored = Taro.getStorageSync(KEY)
  return stored && Array.isArray(stored.items) ? stored : { items: [], entry: 'other', merchant_id: '' }
}
