import { useDidShow } from '@tarojs/taro'
import { useCallback, useState } from 'react'

import { messageOf } from './errors'

/** Load a page's data each time it shows; the failure, if any, as a sentence. */
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
  useDidShow(() => { void reload() })
  return { data, error, setError, reload, setData }
}
