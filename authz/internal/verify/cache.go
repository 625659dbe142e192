package verify

import (
	"crypto/ecdsa"
	"encoding/binary"
	"sync"
)

type entry struct {
	claims *Claims
	kid    string
	pub    *ecdsa.PublicKey
}

const shards = 64

// cache is a bounded map of verified tokens, sharded to keep lock contention low. When a shard
// is full an arbitrary entry is evicted (Go map iteration order is randomised), which keeps
// the common case O(1) without bookkeeping on the read path.
type cache struct {
	perShard int
	shard    [shards]struct {
		mu sync.RWMutex
		m  map[[32]byte]*entry
	}
}

func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	c := &cache{perShard: max(1, size/shards)}
	for i := range c.shard {
		c.shard[i].m = make(map[[32]byte]*entry)
	}
	return c
}

func (c *cache) enabled() bool { return c != nil }

func (c *cache) idx(k [32]byte) int { return int(binary.LittleEndian.Uint64(k[:8]) % shards) }

func (c *cache) get(k [32]byte) *entry {
	s := &c.shard[c.idx(k)]
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	return e
}

func (c *cache) put(k [32]byte, e *entry) {
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

func (c *cache) remove(k [32]byte) {
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
