package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestRenderCacheIsBoundedAndLeastRecentlyUsed fills a small cache and
// checks that the answer used last stays, the least recently used goes,
// and gzipped copies count in the bound.
func TestRenderCacheIsBoundedAndLeastRecentlyUsed(t *testing.T) {
	rc := newRenderCache(300)
	body := func(c byte) []byte { return bytes.Repeat([]byte{c}, 100) }
	rc.put("a", body('a'))
	rc.put("b", body('b'))
	rc.put("c", body('c'))
	if _, ok := rc.get("a"); !ok {
		t.Fatal("a is gone while the cache is within its bound")
	}
	rc.put("d", body('d')) // b is the least recently used now
	if _, ok := rc.get("b"); ok {
		t.Fatal("b was used least recently and is still cached")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := rc.get(k); !ok {
			t.Fatalf("%s is gone", k)
		}
	}
	if rc.size != 300 {
		t.Fatalf("size %d, want 300", rc.size)
	}

	// A gzipped copy counts: keeping it pushes the least recently used out.
	gz := rc.gzipped("d")
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, body('d')) {
		t.Fatalf("gzipped copy reads back as %q, %v", plain, err)
	}
	if _, ok := rc.get("a"); ok {
		t.Fatal("a should have made room for d's gzipped copy")
	}
	if rc.size > 300 || rc.size != 200+len(gz) {
		t.Fatalf("size %d with a gzipped copy of %d bytes", rc.size, len(gz))
	}
	if again := rc.gzipped("d"); !bytes.Equal(again, gz) {
		t.Fatal("the gzipped copy is not reused")
	}
	if rc.gzipped("a") != nil {
		t.Fatal("a gzipped copy of an answer no longer cached")
	}

	// An answer larger than the whole cache is not kept and drops nothing.
	rc.put("huge", []byte(strings.Repeat("x", 301)))
	if _, ok := rc.get("huge"); ok {
		t.Fatal("an answer larger than the cache was kept")
	}
	if _, ok := rc.get("d"); !ok {
		t.Fatal("d went for an answer that was never kept")
	}
}
