package server

import (
	"bytes"
	"compress/gzip"
	clist "container/list"
	"slices"
	"strings"
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

// splitCache keeps the features of the last few large answers split apart,
// by ETag, for the OGC API's pages: paging through one answer splits it
// once. It holds at most splitEntries answers of splitBytes together, the
// oldest going first.
type splitCache struct {
	mu      sync.Mutex
	entries []splitEntry // oldest first
	size    int
}

type splitEntry struct {
	tag  string
	a    answer
	size int
}

const (
	splitEntries = 8
	splitBytes   = 64 << 20
)

// tags are the cached ETags as an If-None-Match header.
func (sc *splitCache) tags() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	tags := make([]string, len(sc.entries))
	for i, e := range sc.entries {
		tags[i] = e.tag
	}
	return strings.Join(tags, ", ")
}

func (sc *splitCache) get(tag string) (answer, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, e := range sc.entries {
		if e.tag == tag {
			return e.a, true
		}
	}
	return answer{}, false
}

// put caches a, of size bytes, under tag.
func (sc *splitCache) put(tag string, a answer, size int) {
	if size > splitBytes {
		return
	}
	sc.forget(tag)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.entries = append(sc.entries, splitEntry{tag: tag, a: a, size: size})
	sc.size += size
	for len(sc.entries) > splitEntries || sc.size > splitBytes {
		sc.size -= sc.entries[0].size
		sc.entries = sc.entries[1:]
	}
}

func (sc *splitCache) forget(tag string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.entries = slices.DeleteFunc(sc.entries, func(e splitEntry) bool {
		if e.tag == tag {
			sc.size -= e.size
		}
		return e.tag == tag
	})
}
