import { useDidShow } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'

import { messageOf } from './errors'

/** Load a page's data when it opens, when `deps` change, and each time the buyer comes back to it; the
 * failure, if any, as a sentence. */
export function useLoad<T> (load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const reload = useCallback(async () => {
    try {
      setData(await load())
      setError(null)
    } catch (e) {
      setError(messageOf(e))
    }
  }, deps) // eslint-disable-line react-hooks/exhaustive-deps
  const current = useRef(reload)
  current.current = reload
  const shown = useRef(false)
  useEffect(() => { void reload() }, [reload])
  useDidShow(() => { // the first show is the load above; later ones are the buyer coming back
    if (shown.current) void current.current()
    shown.current = true
  })
  return { data, error, setError, reload, setData }
}
