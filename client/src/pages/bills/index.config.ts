export default definePageConfig({ navigationBarTitleText: '先享后付账单' })
