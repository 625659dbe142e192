package verify

import (
	"crypto/ecdsa"
	"hash/maphash"
	"strings"
	"sync"
)

type entry struct {
	claims *Claims
	kid    string
	pub    *ecdsa.PublicKey
}

const shards = 64

// cache is a bounded map of verified tokens keyed by the whole token string (so a hit means
// byte-for-byte the token that was verified, signature included), sharded to keep lock
// contention low. When a shard is full an arbitrary entry is evicted (Go map iteration order
// is randomised), which keeps the common case O(1) without bookkeeping on the read path.
type cache struct {
	seed     maphash.Seed
	perShard int
	shard    [shards]struct {
		mu sync.RWMutex
		m  map[string]*entry
	}
}

func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	c := &cache{seed: maphash.MakeSeed(), perShard: max(1, size/shards)}
	for i := range c.shard {
		c.shard[i].m = make(map[string]*entry)
	}
	return c
}

func (c *cache) enabled() bool { return c != nil }

func (c *cache) idx(k string) int { return int(maphash.String(c.seed, k) % shards) }

func (c *cache) get(k string) *entry {
	s := &c.shard[c.idx(k)]
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	return e
}

func (c *cache) put(k string, e *entry) {
	k = strings.Clone(k) // do not pin the request buffer the token was sliced from
	s := &c.shard[c.idx(k)]
	s.mu.Lock()
	if len(s.m) >= c.perShard {
		for victim := range s.m {
			delete(s.m, victim)
			break
		}
	}
	s.m[k] = e
	s.mu.Unlock()
}

func (c *cache) remove(k string) {
	s := &c.shard[c.idx(k)]
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shard {
		c.shard[i].mu.RLock()
		n += len(c.shard[i].m)
		c.shard[i].mu.RUnlock()
	}
	return n
}
