export default definePageConfig({ navigationBarTitleText: '西湖商城' })
