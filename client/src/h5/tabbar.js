// What `@tarojs/components/dist/components` is in the H5 build (config/index.ts points it here): Taro's
// router imports only `defineCustomElementTaroTabbar` from it, to draw the app's tab bar as a Stencil web
// component — the Stencil runtime and the component came to about a fifth of the first script. This is
// the same <taro-tabbar> element in plain DOM: the app.config.ts list as text links, the current tab
// highlighted, hidden on pages that are not tabs. Taro's tab bar APIs (setTabBarBadge and the like) are not
// served: the pages use none of them.
import { eventCenter } from '@tarojs/runtime'
import { switchTab } from '@tarojs/router'

import './tabbar.css'

const path = url => '/' + String(url).replace(/^[#/]+/, '').split('?')[0]

class TabBar extends HTMLElement {
  connectedCallback () {
    const conf = this.conf || {}
    const home = path(conf.homePage || conf.list[0].pagePath)
    this.className = 'taro-tabbar__tabbar taro-tabbar__tabbar-bottom'
    const bar = document.createElement('div')
    bar.className = 'weui-tabbar'
    bar.style.backgroundColor = conf.backgroundColor || ''
    this.items = conf.list.map(item => {
      const link = document.createElement('a')
      link.className = 'weui-tabbar__item'
      link.setAttribute('role', 'button')
      const label = document.createElement('p')
      label.className = 'weui-tabbar__label'
      label.textContent = item.text
      link.appendChild(label)
      link.addEventListener('click', () => { void switchTab({ url: path(item.pagePath) }) })
      bar.appendChild(link)
      return { page: path(item.pagePath), link, label }
    })
    this.appendChild(bar)
    this.show = to => {
      const page = path(to) === '/' ? home : path(to)
      let current = false
      for (const item of this.items) {
        const selected = item.page === page
        current = current || selected
        item.link.classList.toggle('weui-bar__item_on', selected)
        item.label.style.color = (selected ? conf.selectedColor : conf.color) || ''
      }
      this.classList.toggle('taro-tabbar__tabbar-hide', !current)
    }
    this.onRoute = options => this.show(options?.toLocation?.path ?? window.location.hash)
    eventCenter.on('__taroRouterChange', this.onRoute)
    this.show(window.location.hash)
  }

  disconnectedCallback () {
    eventCenter.off('__taroRouterChange', this.onRoute)
  }
}

export function defineCustomElementTaroTabbar () {
  if (!customElements.get('taro-tabbar')) customElements.define('taro-tabbar', TabBar)
}

// Taro's previewImage (which no page uses) imports its swiper from here too: not part of this build.
export function defineCustomElementTaroSwiperCore () {
  throw new Error('Taro.previewImage is not part of the H5 build (src/h5/tabbar.js)')
}
export const defineCustomElementTaroSwiperItemCore = defineCustomElementTaroSwiperCore
