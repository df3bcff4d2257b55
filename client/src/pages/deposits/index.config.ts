export default definePageConfig({ navigationBarTitleText: '押金' })
