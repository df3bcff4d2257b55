// Every error the buyer sees is a sentence: stable problem codes map to Chinese messages; an unknown code
// falls back to the server's `detail`, then to a general sentence. A code itself is never shown.

const MESSAGES: Record<string, string> = {
  unauthorized: '请先登录。',
  invalid_token: '登录已失效，请重新登录。',
  token_expired: '登录已过期，请重新登录。',
  session_revoked: '登录已失效，请重新登录。',
  invalid_refresh_token: '登录已过期，请重新登录。',
  auth_code_invalid: '支付宝授权失败，请重试。',
  too_many_attempts: '操作太频繁，请稍后再试。',
  rate_limited: '操作太频繁，请稍后再试。',
  service_unavailable: '服务繁忙，请稍后再试。',
  temporarily_unavailable: '服务繁忙，请稍后再试。',
  upstream_error: '服务出了点问题，请稍后再试。',
  validation_error: '填写的信息有误，请检查后再试。',
  empty_query: '请输入要搜索的内容。',
  product_not_found: '这件商品不存在或已下架。',
  sku_not_found: '这个规格不存在或已下架。',
  sku_unavailable: '这个规格暂时无法购买。',
  unknown_sku: '这个规格不存在或已下架。',
  invalid_quantity: '购买数量不正确。',
  quantity_too_large: '购买数量超过了上限。',
  cart_full: '购物车已满，请先结算或删除一些商品。',
  empty_order: '请先选择要购买的商品。',
  mixed_merchants: '一次只能结算同一个商家的商品。',
  too_many_unpaid_orders: '待付款的订单太多了，请先付款或取消。',
  order_not_found: '没有找到这个订单。',
  order_not_ready: '订单还在确认中，请稍后再付款。',
  order_not_payable: '这个订单现在不能付款。',
  deposit_not_found: '这个订单没有需要授权的押金。',
  deposit_closed: '这笔租赁已关闭，押金无需再授权。',
  deposit_auth_expired: '免押授权已超时，这笔租赁将被关闭。',
  deposit_not_frozen: '租赁押金需先确认芝麻信用免押，确认后才能支付租金。',
  order_already_paid: '这个订单已经付过款了。',
  payment_in_progress: '这个订单正在付款中，请稍候。',
  nothing_to_pay: '这个订单不需要付款。',
  installments_not_offered: '商家不支持这个分期期数，请换一个。',
  installments_unavailable: '这笔订单暂不支持花呗分期。',
  huabei_minimum: '金额未达到花呗分期的最低要求。',
  insufficient_balance: '余额不足，请换一种付款方式。',
  credit_too_low: '信用分暂不满足先享后付的条件。',
  credit_limit_exceeded: '先享后付额度不足，请换一种付款方式。',
  alipay_refused: '支付宝暂时无法处理这笔付款，请稍后再试。',
  alipay_user_required: '请使用支付宝账号登录后再付款。',
  coupon_not_found: '没有找到这张优惠券。',
  template_not_found: '这个优惠活动不存在或已结束。',
  coupon_sold_out: '优惠券已经被领完了。',
  coupon_expired: '这张优惠券已过期。',
  claim_limit_reached: '你已经领过这张优惠券了。',
  campaign_not_running: '活动未开始或已结束。',
  budget_exhausted: '活动太火爆，优惠已发完。',
  coupon_not_applicable: '这张优惠券不能用于这些商品。',
  below_threshold: '还没达到这张优惠券的使用门槛。',
  points_insufficient: '积分不足。',
  address_required: '请先选择收货地址。',
  address_incomplete: '收货地址不完整，请补充。',
  address_book_full: '收货地址已满，请先删除一些。',
  invalid_phone: '手机号格式不正确。',
  region_not_delivered: '这个地区暂不配送，请换个地址或到店自提。',
  express_not_offered: '这些商品不支持快递，请选择到店自提。',
  store_not_found: '没有找到这家门店。',
  pickup_closed: '这家门店暂不提供自提。',
  not_paid: '订单还没有付款。',
  refund_pending: '这个订单已经在退款中了。',
  refund_exceeds_paid: '退款金额超过了实付金额。',
  return_window_closed: '已超过退货期限。',
  invalid_transition: '订单当前的状态不能进行这个操作。',
  store_code_invalid: '这个二维码无效或已过期。',
  order_not_paid: '订单还没有付款。',
  refund_exceeds_units: '退款数量超过了可退的数量。',
  nothing_to_refund: '这个订单没有可退的商品了。',
  nothing_to_return: '商品还没发出，不需要退货，直接申请退款即可。',
  line_not_in_order: '这件商品不在这个订单里。',
  refund_not_found: '没有找到这笔退款。',
  invalid_refund_transition: '这笔退款当前的状态不能进行这个操作。',
  unknown_carrier: '请选择列表中的快递公司。',
  invalid_tracking_no: '快递单号的格式不对，请核对后重新填写。',
  unknown_template: '这个消息通知已停用。',
  no_alipay_account: '请使用支付宝账号登录后再开启消息通知。',
  too_many_grants: '你已经开启过这些消息通知了。',
  top_up_too_large: '单次充值金额超过了上限。',
  bill_not_found: '没有找到这笔账单。',
  bill_already_paid: '这笔账单已经还清了。',
  bill_not_payable: '这笔账单不需要还款。',
  bill_overdue: '你有逾期未还的账单，请先还款。',
  alipay_unavailable: '支付宝暂时无法连接，请稍后再试。',
  campaign_not_found: '这个活动不存在。',
  group_not_found: '没有找到这个团。',
  own_group: '不能给自己助力，快分享给好友吧。',
  already_joined: '你已经助力过这位好友了。',
  group_complete: '好友的助力人数已满。',
  flash_sale_alone: '秒杀商品需单独下单，不能同时使用优惠券或积分。',
  flash_sale_items: '秒杀商品需单独下单。',
  flash_sale_not_started: '秒杀还没开始，请稍后再来。',
  flash_sale_ended: '秒杀已经结束了。',
  flash_sale_limit: '超过了秒杀的每人限购数量。',
  flash_sale_sold_out: '秒杀商品已经抢光了。',
  flash_sale_unknown: '没有找到这场秒杀。',
  flash_sale_not_found: '没有找到这场秒杀。',
  already_in_group: '你已经在这个团里了。',
  group_buy_pending: '拼团还没成功，暂时不能退款。',
  line_not_reviewable: '这件商品还不能评价。',
  already_reviewed: '这件商品已经评价过了。',
  review_window_closed: '已超过评价期限。',
  review_blocked_term: '评价里有不允许的词语，请修改后再发布。',
  invalid_review_image: '照片无效，请重新上传。',
  too_many_images: '最多上传 9 张照片。',
  already_followed_up: '已经追评过了。',
  followup_window_closed: '已超过追评期限。',
  image_too_large: '照片太大了，请换一张。',
  unsupported_image: '只支持 JPEG、PNG 或 WebP 格式的照片。',
  merchant_not_found: '没有找到这个商家。',
  network: '网络好像断了，请检查网络后重试。',
  alipay_web_unavailable: '浏览器里暂时无法登录支付宝，请在支付宝小程序中打开。'
}

const GENERAL = '出了点问题，请稍后再试。'

export interface Problem {
  status?: number
  code?: string
  title?: string
  detail?: string
  errors?: Array<{ field?: string, message?: string }>
}

/** The sentence to show for a problem answer (or for a failure with no answer at all). */
export function sentenceFor(problem: Problem | null | undefined): string {
  if (!problem) return GENERAL
  if (problem.code && MESSAGES[problem.code]) return MESSAGES[problem.code]
  if (problem.detail && problem.detail.trim()) return problem.detail.trim()
  return GENERAL
}

/** An API call that failed: carries the problem for branching and the sentence for the buyer. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly problem: Problem

  constructor (status: number, problem: Problem) {
    super(sentenceFor(problem))
    this.status = status
    this.code = problem.code ?? ''
    this.problem = problem
  }
}

/** What to show for anything thrown: an ApiError's sentence, else the general one. */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : GENERAL
}
