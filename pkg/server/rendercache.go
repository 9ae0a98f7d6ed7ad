package server

import (
	"bytes"
	"compress/gzip"
	clist "container/list"
	"sync"
)

// renderCache keeps recently used rendered answers by key (their ETag),
// so that repeated parameters cost no computation, and each one's gzipped
// copy once a client has asked for it. It holds at most max bytes, plain
// and gzipped copies together, and lets the least recently used answers go
// first. The zero value is not ready: use newRenderCache.
type renderCache struct {
	mu    sync.Mutex
	max   int
	size  int
	items map[string]*clist.Element // of *rendered
	lru   clist.List                // most recently used first
}

// rendered is one cached answer.
type rendered struct {
	key   string
	plain []byte
	gz    []byte // nil until first asked for
}

func (r *rendered) size() int { return len(r.plain) + len(r.gz) }

// renderCacheBytes bounds the server's render cache.
const renderCacheBytes = 32 << 20

func newRenderCache(max int) *renderCache {
	return &renderCache{max: max, items: map[string]*clist.Element{}}
}

// get returns the answer cached under k and marks it used.
func (rc *renderCache) get(k string) ([]byte, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	el, ok := rc.items[k]
	if !ok {
		return nil, false
	}
	rc.lru.MoveToFront(el)
	return el.Value.(*rendered).plain, true
}

// put caches b under k, unless k is cached already or b alone is larger
// than the cache.
func (rc *renderCache) put(k string, b []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.items[k]; ok || len(b) > rc.max {
		return
	}
	rc.items[k] = rc.lru.PushFront(&rendered{key: k, plain: b})
	rc.size += len(b)
	rc.evict()
}

// gzipped returns the answer cached under k compressed, compressing it on
// the first call; nil when k is not cached.
func (rc *renderCache) gzipped(k string) []byte {
	rc.mu.Lock()
	el, ok := rc.items[k]
	if !ok {
		rc.mu.Unlock()
		return nil
	}
	r := el.Value.(*rendered)
	rc.lru.MoveToFront(el)
	if r.gz != nil {
		rc.mu.Unlock()
		return r.gz
	}
	plain := r.plain
	rc.mu.Unlock()

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil
	}
	if _, err := zw.Write(plain); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	gz := buf.Bytes()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	// Keep the copy if the answer is still cached and nobody kept one meanwhile.
	if el, ok := rc.items[k]; ok && el.Value.(*rendered).gz == nil {
		el.Value.(*rendered).gz = gz
		rc.size += len(gz)
		rc.evict()
	}
	return gz
}

// evict lets the least recently used answers go until the cache fits.
func (rc *renderCache) evict() {
	for rc.size > rc.max {
		el := rc.lru.Back()
		r := el.Value.(*rendered)
		rc.lru.Remove(el)
		delete(rc.items, r.key)
		rc.size -= r.size()
	}
}
