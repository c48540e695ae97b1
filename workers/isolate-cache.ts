// The per-isolate caches (API keys, match owners, live scores) are Maps bounded by count: a Map keeps
// insertion order, so re-inserting on every write makes its first keys the least recently written.

/** Sets `key` as the newest entry, first dropping the oldest ones so the map holds at most `max`. */
export function rememberNewest<K, V>(cache: Map<K, V>, key: K, value: V, max: number): void {
  cache.delete(key);
  for (const oldest of cache.keys()) {
    if (cache.size < max) break;
    cache.delete(oldest);
  }
  cache.set(key, value);
}
