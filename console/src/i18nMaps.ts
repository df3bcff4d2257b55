/* The words of the store map picker and the claim codes' PDF, kept apart from i18n.tsx so pages added in
 * parallel do not edit the same lines. */
export const MAPS_ZH = {
  "maps.pick": "在地图上选点（点击或拖动标记）",
  "maps.wgs84": "坐标为 WGS-84（GPS）。高德、腾讯等国内地图给出的是 GCJ-02 坐标，需先转换再填写。",
  "maps.pdf": "下载 PDF",
  "maps.store": "门店",
  "maps.coupon": "优惠券",
  "maps.scan": "用支付宝扫码领取",
};

export const MAPS_EN: Record<keyof typeof MAPS_ZH, string> = {
  "maps.pick": "Place on the map (click, or drag the marker)",
  "maps.wgs84": "Coordinates are WGS-84 (GPS). Chinese map providers (Amap, Tencent…) give GCJ-02: convert before typing them.",
  "maps.pdf": "Download PDF",
  "maps.store": "Store",
  "maps.coupon": "Coupon",
  "maps.scan": "Scan with Alipay to claim",
};
