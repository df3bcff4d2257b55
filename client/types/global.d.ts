/// <reference types="@tarojs/taro" />

declare module '*.png'
declare module '*.css'

declare namespace NodeJS {
  interface ProcessEnv {
    TARO_ENV: 'alipay' | 'h5' | 'weapp' | 'swan' | 'tt' | 'qq' | 'jd' | 'harmony' | 'rn' | undefined
  }
}

// The API's origin, set at build time (config/index.ts): '' in H5 (same origin).
declare const API_BASE: string
// Alipay's mini-program API, present only inside Alipay.
declare const my: any
