import path from 'node:path'

import { defineConfig, type UserConfigExport } from '@tarojs/cli'

// One source, two targets: `taro build --type alipay` (dist/alipay, opened in Alipay's developer tool) and
// `taro build --type h5` (dist/h5, served by the gateway at /m/).
export default defineConfig<'webpack5'>(async () => {
  const config: UserConfigExport<'webpack5'> = {
    projectName: 'mpmall',
    date: '2026-11-25',
    // Styles are written in px for a 375-wide phone: the mini-program turns them into rpx, H5 keeps px.
    designWidth: 375,
    deviceRatio: { 375: 2, 640: 2.34 / 2, 750: 1, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}`,
    plugins: ['@tarojs/plugin-platform-alipay'],
    defineConstants: {
      // Where the API is: H5 is served by the gateway itself (same origin); the mini-program names it
      // (MALL_CLIENT_API_BASE at build time; the local gateway by default, for the developer tool).
      API_BASE: JSON.stringify(process.env.TARO_ENV === 'h5' ? '' : (process.env.MALL_CLIENT_API_BASE || 'http://127.0.0.1:8080'))
    },
    // In the browser, Preact behind React's API (preact/compat): the same components at a third of React
    // DOM's weight in the first script (docs/benchmarks.md, client home page). The mini-program keeps React,
    // Taro's reference runtime there (its code is on the phone already: no download to save).
    framework: process.env.TARO_ENV === 'h5' ? 'preact' : 'react',
    // H5: the script index.html loads first, to send GET /api/home before the app's scripts arrive.
    copy: process.env.TARO_ENV === 'h5'
      ? { patterns: [{ from: 'src/h5/home-data.js', to: 'dist/h5/home-data.js' }], options: {} }
      : { patterns: [], options: {} },
    compiler: 'webpack5',
    cache: { enable: false },
    logger: { quiet: true, stats: false },
    mini: {
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false }
      }
    },
    h5: {
      publicPath: '/m/',
      // React components drawn as plain HTML instead of Taro's web components (Stencil): each page's script
      // no longer carries its own copy of them, and no component runtime loads before the first page.
      useHtmlComponents: true,
      webpackChain (chain: any) {
        // Only the components the pages use (src/h5/components.js); a page needing another adds it there. The
        // library's stylesheet of every component (32 KB, as a script) is left out: each one imports its own.
        chain.resolve.alias.set('@tarojs/components$', path.resolve(__dirname, '../src/h5/components.js'))
        chain.resolve.alias.set('@tarojs/components-react/dist/index.css$', path.resolve(__dirname, '../src/h5/none.css'))
        // The tab bar in plain DOM (src/h5/tabbar.js) instead of Taro's Stencil component and its runtime, and
        // without the Stencil components' global stylesheet (their icon font, radio and checkbox looks).
        chain.resolve.alias.set('@tarojs/components/dist/components$', path.resolve(__dirname, '../src/h5/tabbar.js'))
        chain.resolve.alias.set('@tarojs/components/dist/taro-components/taro-components.css$', path.resolve(__dirname, '../src/h5/none.css'))
      },
      staticDirectory: 'static',
      router: { mode: 'hash' },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js'
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css'
      },
      postcss: {
        pxtransform: { enable: false, config: {} },
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false }
      }
    }
  }
  return config
})
