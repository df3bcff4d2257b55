// Every page is in the main package (Alipay's limit for it is 2 MB; tests/test_client.py checks the build).
export default defineAppConfig({
  pages: [
    'pages/home/index',
    'pages/search/index',
    'pages/category/index',
    'pages/product/index',
    'pages/cart/index',
    'pages/checkout/index',
    'pages/paid/index',
    'pages/orders/index',
    'pages/order/index',
    'pages/me/index',
    'pages/coupons/index',
    'pages/favorites/index',
    'pages/addresses/index',
    'pages/stores/index',
    'pages/balance/index',
    'pages/bills/index',
    'pages/deposits/index',
    'pages/cards/index',
    'pages/points/index',
    'pages/fission/index',
    'pages/group/index',
    'pages/review/index',
    'pages/footprints/index'
  ],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#1677ff',
    navigationBarTitleText: '西湖商城',
    navigationBarTextStyle: 'white'
  },
  tabBar: {
    color: '#666666',
    selectedColor: '#1677ff',
    backgroundColor: '#ffffff',
    list: [
      { pagePath: 'pages/home/index', text: '首页' },
      { pagePath: 'pages/cart/index', text: '购物车' },
      { pagePath: 'pages/orders/index', text: '订单' },
      { pagePath: 'pages/me/index', text: '我的' }
    ]
  }
})
