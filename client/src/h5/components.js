// What `@tarojs/components` is in the H5 build (config/index.ts points it here): only the components the
// pages use, each from Taro's HTML component library, and the pull-down-refresh Taro's H5 entry asks for.
// The library's index would bring every component and its styles into the first script the browser loads.
export { default as View } from '@tarojs/components-react/dist/components/view/index.js'
export { default as Text } from '@tarojs/components-react/dist/components/text/index.js'
export { default as Image } from '@tarojs/components-react/dist/components/image/index.js'
export { default as Input } from '@tarojs/components-react/dist/components/input/index.js'
export { default as PullDownRefresh } from '@tarojs/components-react/dist/components/pull-down-refresh/index.js'
