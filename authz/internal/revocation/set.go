// Package revocation keeps the in-memory set of revoked token ids (jti) and session families
// (sid) described in ADR 0005, fed by a Source (Redis sorted set + Pub/Sub, or the mesh's HTTP
// snapshot + SSE stream in the embedded mode), and tracks whether that state is fresh enough
// to decide on.
package revocation

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what an entry revokes.
type Kind string

const (
	// KindJTI revokes one token.
	KindJTI Kind = "jti"
	// KindSID revokes every token of a session family.
	KindSID Kind = "sid"
)

// Entry is one revocation: the wire form of the Pub/Sub message and of the HTTP snapshot items.
type Entry struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value"`
	// Exp is the epoch second after which the entry may be forgotten.
	Exp int64 `json:"exp"`
}

// UnmarshalJSON accepts exp as an integer or a float (Python may send either).
func (e *Entry) UnmarshalJSON(b []byte) error {
	var raw struct {
		Kind  Kind    `json:"kind"`
		Value string  `json:"value"`
		Exp   float64 `json:"exp"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = Entry{Kind: raw.Kind, Value: raw.Value, Exp: int64(raw.Exp)}
	return e.Validate()
}

// Validate checks kind and value.
func (e Entry) Validate() error {
	if e.Kind != KindJTI && e.Kind != KindSID {
		return fmt.Errorf("revocation: unknown kind %q", e.Kind)
	}
	if e.Value == "" || len(e.Value) > 256 {
		return fmt.Errorf("revocation: bad value")
	}
	return nil
}

// Member is the sorted-set member for the entry: "jti:<id>" or "sid:<id>".
func (e Entry) Member() string { return string(e.Kind) + ":" + e.Value }

// Set is the revocation state. Safe for concurrent use; lookups take a read lock only.
type Set struct {
	staleAfter time.Duration
	keepFor    time.Duration
	now        func() time.Time

	mu  sync.RWMutex
	jti map[string]int64
	sid map[string]int64

	// Unix nanoseconds; 0 = never.
	lastGood    atomic.Int64 // last successful sync, or last proof of a live subscription that followed one
	lastApplied atomic.Int64 // last applied update or sync
	size        atomic.Int64
}

// SetOption configures a Set.
type SetOption func(*Set)

// WithStaleAfter sets how long the state stays usable without a successful sync or a live
// subscription (default 30 s).
func WithStaleAfter(d time.Duration) SetOption { return func(s *Set) { s.staleAfter = d } }

// WithRetention keeps entries this long past their exp before pruning them (default 30 s, the
// verifier's leeway: a token is still accepted up to exp + leeway, so its revocation must be
// remembered as long).
func WithRetention(d time.Duration) SetOption { return func(s *Set) { s.keepFor = d } }

// WithSetClock injects the time source (tests).
func WithSetClock(now func() time.Time) SetOption { return func(s *Set) { s.now = now } }

// NewSet returns an empty, not yet bootstrapped set.
func NewSet(opts ...SetOption) *Set {
	s := &Set{
		staleAfter: 30 * time.Second,
		keepFor:    30 * time.Second,
		now:        time.Now,
		jti:        make(map[string]int64),
		sid:        make(map[string]int64),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Revoked reports whether the token with this jti or session sid is revoked. Entries count
// until they are pruned, whatever their exp.
func (s *Set) Revoked(jti, sid string) bool {
	s.mu.RLock()
	_, a := s.jti[jti]
	_, b := s.sid[sid]
	s.mu.RUnlock()
	return a || b
}

// Add applies one entry (keeping the later exp if the value is already there).
func (s *Set) Add(e Entry) {
	s.mu.Lock()
	s.addLocked(e)
	s.size.Store(int64(len(s.jti) + len(s.sid)))
	s.mu.Unlock()
	s.lastApplied.Store(s.now().UnixNano())
}

// Merge applies a snapshot. Entries are never removed by a snapshot, only by Prune: nothing in
// the contract un-revokes, and keeping an entry longer only fails closed.
func (s *Set) Merge(entries []Entry) {
	s.mu.Lock()
	for _, e := range entries {
		s.addLocked(e)
	}
	s.size.Store(int64(len(s.jti) + len(s.sid)))
	s.mu.Unlock()
}

func (s *Set) addLocked(e Entry) {
	m := s.jti
	if e.Kind == KindSID {
		m = s.sid
	}
	if old, ok := m[e.Value]; !ok || e.Exp > old {
		m[e.Value] = e.Exp
	}
}

// Prune forgets entries whose exp plus the retention is in the past, and returns how many.
func (s *Set) Prune() int {
	cutoff := s.now().Add(-s.keepFor).Unix()
	n := 0
	s.mu.Lock()
	for _, m := range []map[string]int64{s.jti, s.sid} {
		for k, exp := range m {
			if exp < cutoff {
				delete(m, k)
				n++
			}
		}
	}
	s.size.Store(int64(len(s.jti) + len(s.sid)))
	s.mu.Unlock()
	return n
}

// MinScore is the lowest score a bootstrap or resync must read: entries below it would be
// pruned at once.
func (s *Set) MinScore() int64 { return s.now().Add(-s.keepFor).Unix() }

// Len is the number of entries.
func (s *Set) Len() int { return int(s.size.Load()) }

// MarkSynced records a successful full sync that started at t.
func (s *Set) MarkSynced(t time.Time) {
	advance(&s.lastGood, t.UnixNano())
	advance(&s.lastApplied, t.UnixNano())
}

// MarkLive records proof at t that the live feed (subscription or stream), established before
// the last successful sync, is still up.
func (s *Set) MarkLive(t time.Time) { advance(&s.lastGood, t.UnixNano()) }

func advance(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// Bootstrapped reports whether one full sync ever succeeded.
func (s *Set) Bootstrapped() bool { return s.lastGood.Load() != 0 }

// Fresh reports whether the state may be used at now: bootstrapped, and a successful sync or
// a live subscription seen within staleAfter.
func (s *Set) Fresh(now time.Time) bool {
	g := s.lastGood.Load()
	return g != 0 && now.UnixNano()-g <= s.staleAfter.Nanoseconds()
}

// StaleAfter is the configured bound.
func (s *Set) StaleAfter() time.Duration { return s.staleAfter }

// Age is the time since the last proof of freshness (-1 if never bootstrapped).
func (s *Set) Age(now time.Time) time.Duration {
	g := s.lastGood.Load()
	if g == 0 {
		return -1
	}
	return time.Duration(now.UnixNano() - g)
}

// Lag is now minus the time of the last applied update or sync (-1 if none).
func (s *Set) Lag(now time.Time) time.Duration {
	a := s.lastApplied.Load()
	if a == 0 {
		return -1
	}
	return time.Duration(now.UnixNano() - a)
}
