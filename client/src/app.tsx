import Taro from '@tarojs/taro'
import type { PropsWithChildren } from 'react'

import { startHome } from './lib/home'
import './app.css'

if (process.env.TARO_ENV === 'h5') {
  // The home page's script comes with the app's (the router's own import of it then loads nothing), and its
  // data is asked for at once (see lib/home): no round trip waits for another.
  require('./pages/home/index')
  if (/^#?(\/?|\/pages\/home\/index.*)$/.test(window.location.hash)) startHome()
  // index.html's skeleton stands until the first page is drawn.
  Taro.eventCenter.once('__afterTaroRouterChange', () => document.getElementById('skeleton')?.remove())
}

export default function App ({ children }: PropsWithChildren) {
  return children
}
