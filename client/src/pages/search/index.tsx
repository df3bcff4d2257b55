import { Input, Text, View } from '@tarojs/components'
import { useEffect, useRef, useState } from 'react'

import { ErrorLine, ProductGrid, type ProductCard } from '../../components/ui'
import { api } from '../../lib/api'
import { messageOf } from '../../lib/errors'

interface Found { items: ProductCard[], total: number, total_exact?: boolean } // not exact: more than total match

export default function SearchPage () {
  const [q, setQ] = useState('')
  const [suggestions, setSuggestions] = useState<string[]>([])
  const [history, setHistory] = useState<Array<{ q: string }>>([])
  const [found, setFound] = useState<Found | null>(null)
  const [error, setError] = useState<string | null>(null)
  const typing = useRef<ReturnType<typeof setTimeout>>()

  async function loadHistory () {
    try {
      setHistory((await api<{ items: Array<{ q: string }> }>('GET', '/api/search/history')).items)
    } catch (e) {
      setError(messageOf(e))
    }
  }
  const [hot, setHot] = useState<string[]>([])
  useEffect(() => {
    void loadHistory()
    api<{ items: Array<{ q: string }> }>('GET', '/api/search/hot', { query: { limit: 10 } })
      .then(answer => setHot(answer.items.map(i => i.q)), () => setHot([])) // an extra: the page stands without it
  }, [])

  function onInput (value: string) {
    setQ(value)
    clearTimeout(typing.current)
    if (!value.trim()) { setSuggestions([]); return }
    typing.current = setTimeout(() => {
      api<{ suggestions: string[] }>('GET', '/api/search/suggest', { query: { q: value.trim() } })
        .then(answer => setSuggestions(answer.suggestions), () => setSuggestions([]))
    }, 250)
  }

  async function search (text: string) {
    const query = text.trim()
    if (!query) return
    clearTimeout(typing.current)
    setQ(query)
    setSuggestions([])
    try {
      setFound(await api<Found>('GET', '/api/search', { query: { q: query, page_size: 20 }, entry: 'search' }))
      setError(null)
      void loadHistory()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  async function clearHistory () {
    try {
      await api('DELETE', '/api/search/history')
      setHistory([])
    } catch (e) {
      setError(messageOf(e))
    }
  }

  return (
    <View className='page' data-testid='search'>
      <View className='search-bar card'>
        <Input className='input' data-testid='search-input' value={q} placeholder='搜索商品，拼音也可以' confirmType='search' focus
          onInput={e => onInput(e.detail.value)} onConfirm={e => search(e.detail.value)} />
        <View className='btn' data-testid='search-submit' onClick={() => search(q)}>搜索</View>
      </View>
      <ErrorLine message={error} />
      {suggestions.length > 0 && (
        <View className='card' data-testid='suggestions'>
          {suggestions.map(s => <View key={s} className='line' onClick={() => search(s)}>{s}</View>)}
        </View>
      )}
      {!found && history.length > 0 && (
        <View className='card' data-testid='history'>
          <View className='row'><Text className='title'>搜索历史</Text><Text className='muted' data-testid='clear-history' onClick={clearHistory}>清空</Text></View>
          <View className='chips'>{history.map(h => <View key={h.q} className='chip' onClick={() => search(h.q)}>{h.q}</View>)}</View>
        </View>
      )}
      {!found && hot.length > 0 && (
        <View className='card' data-testid='hot-words'>
          <View className='title'>热门搜索</View>
          <View className='chips'>{hot.map(word => <View key={word} className='chip' data-testid='hot-word' onClick={() => search(word)}>{word}</View>)}</View>
        </View>
      )}
      {found && (
        <View>
          <View className='muted'>找到 {found.total}{found.total_exact === false ? '+' : ''} 件商品</View>
          <ProductGrid items={found.items} entry='search' testId='results' />
        </View>
      )}
    </View>
  )
}
