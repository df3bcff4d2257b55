// Chinese names for the contract's enumerations.
export const ORDER_STATUS: Record<string, string> = {
  PENDING: '确认中',
  AWAITING_PAYMENT: '待付款',
  PAID: '已付款',
  READY_FOR_PICKUP: '待自提',
  SHIPPED: '已发货',
  DELIVERED: '已送达',
  COMPLETED: '已完成',
  CANCELLED: '已取消',
  REFUND_REQUESTED: '退款中',
  REFUNDED: '已退款'
}

export const CANCEL_REASON: Record<string, string> = {
  payment_timeout: '超时未付款，订单已取消。',
  out_of_stock: '库存不足，订单已取消。',
  coupon_not_applicable: '优惠券不能用于这些商品，订单已取消。',
  below_threshold: '未达到优惠券门槛，订单已取消。',
  points_insufficient: '积分不足，订单已取消。',
  buyer_cancelled: '你已取消这个订单。',
  flash_sale_sold_out: '秒杀商品已抢光，订单已取消。',
  flash_sale_limit: '超过了秒杀的每人限购数量，订单已取消。',
  flash_not_admitted: '没有抢到秒杀名额，订单已取消。',
  group_full: '这个团已经满员，订单已取消。',
  group_closed: '这个团已经结束，订单已取消。',
  group_not_found: '没有找到这个拼团，订单已取消。',
  group_deal_not_running: '拼团活动已结束，订单已取消。',
  group_deal_sku_mismatch: '这个规格不参加该拼团，订单已取消。',
  group_buy_failed: '拼团未成功，订单已取消。',
  deposit_not_authorised: '没有按时确认芝麻信用免押，租赁已关闭。'
}

export const PAY_METHOD: Record<string, string> = {
  alipay: '支付宝',
  huabei: '花呗分期',
  balance: '余额',
  pay_later: '先享后付'
}

export const CREDIT_TIER: Record<string, string> = {
  poor: '较差', fair: '中等', good: '良好', very_good: '优秀', excellent: '极好'
}

export const TRACKING_STATE: Record<string, string> = {
  shipped: '已揽收', in_transit: '运输中', out_for_delivery: '派送中', delivered: '已签收', exception: '异常'
}

export const REFUND_STATUS: Record<string, string> = {
  requested: '等待商家处理',
  awaiting_return: '待寄回商品',
  returning: '退货寄回中',
  approved: '退款中',
  refunded: '已退款',
  rejected: '商家已拒绝',
  failed: '退款失败',
  closed: '已关闭'
}

// 快递100 company codes the mall accepts for a waybill.
export const CARRIERS: Record<string, string> = {
  shunfeng: '顺丰速运', zhongtong: '中通快递', yuantong: '圆通速递', yunda: '韵达快递', shentong: '申通快递', jd: '京东物流', ems: 'EMS'
}

export const BILL_STATUS: Record<string, string> = { open: '待还款', overdue: '已逾期', paid: '已还清', cancelled: '已取消' }

export const DEPOSIT_STATUS: Record<string, string> = { waived: '信用免押', pending: '待支付', held: '冻结中', released: '已退还', authorising: '免押待确认', frozen: '芝麻信用免押', closed: '已关闭' }
