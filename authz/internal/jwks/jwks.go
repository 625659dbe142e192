// Package jwks fetches and caches the ES256 signing keys published at the auth JWKS URL
// (ADR 0005: GET /api/v1/auth/.well-known/jwks.json). Keys are replaced as a whole on every
// successful fetch, so a key dropped by the issuer stops verifying after the next refresh.
// An unknown kid triggers one on-demand refetch, rate-limited and shared by concurrent callers.
package jwks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnknownKey is returned when a kid is not in the key set, even after the allowed refetch.
var ErrUnknownKey = errors.New("jwks: unknown key id")

const maxBody = 1 << 20

// Cache holds the current key set. The zero value is not usable; use New.
type Cache struct {
	url          string
	client       *http.Client
	minRefetch   time.Duration
	refreshEvery time.Duration
	fetchTimeout time.Duration
	now          func() time.Time
	log          *slog.Logger
	onFetch      func(ok bool)

	keys atomic.Pointer[keySet]

	mu           sync.Mutex
	lastOnDemand time.Time
	inflight     chan struct{}
}

type keySet struct {
	byKid     map[string]*ecdsa.PublicKey
	fetchedAt time.Time
}

// Option configures a Cache.
type Option func(*Cache)

// WithHTTPClient sets the client used to fetch the JWKS.
func WithHTTPClient(c *http.Client) Option { return func(k *Cache) { k.client = c } }

// WithMinRefetchInterval bounds on-demand refetches (unknown kid) to one per interval.
func WithMinRefetchInterval(d time.Duration) Option { return func(k *Cache) { k.minRefetch = d } }

// WithRefreshEvery sets the periodic refresh interval used by Run.
func WithRefreshEvery(d time.Duration) Option { return func(k *Cache) { k.refreshEvery = d } }

// WithFetchTimeout bounds one fetch.
func WithFetchTimeout(d time.Duration) Option { return func(k *Cache) { k.fetchTimeout = d } }

// WithClock injects the time source (tests).
func WithClock(now func() time.Time) Option { return func(k *Cache) { k.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(k *Cache) { k.log = l } }

// WithFetchHook is called after every fetch attempt (metrics).
func WithFetchHook(f func(ok bool)) Option { return func(k *Cache) { k.onFetch = f } }

// New returns a cache for the JWKS at url. Nothing is fetched until Fetch, Run or Key is called.
func New(url string, opts ...Option) *Cache {
	c := &Cache{
		url:          url,
		client:       &http.Client{Timeout: 5 * time.Second},
		minRefetch:   10 * time.Second,
		refreshEvery: 5 * time.Minute,
		fetchTimeout: 3 * time.Second,
		now:          time.Now,
		log:          slog.Default(),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Loaded reports whether at least one key set has been fetched.
func (c *Cache) Loaded() bool { return c.keys.Load() != nil }

// Len is the number of keys currently held.
func (c *Cache) Len() int {
	ks := c.keys.Load()
	if ks == nil {
		return 0
	}
	return len(ks.byKid)
}

// Lookup returns the key for kid without fetching, or nil.
func (c *Cache) Lookup(kid string) *ecdsa.PublicKey {
	ks := c.keys.Load()
	if ks == nil {
		return nil
	}
	return ks.byKid[kid]
}

// Key returns the key for kid. An unknown kid triggers one refetch, unless another on-demand
// refetch started less than the minimum interval ago; concurrent callers share one refetch.
func (c *Cache) Key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	if k := c.Lookup(kid); k != nil {
		return k, nil
	}
	c.mu.Lock()
	if wait := c.inflight; wait != nil {
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if k := c.Lookup(kid); k != nil {
			return k, nil
		}
		return nil, ErrUnknownKey
	}
	now := c.now()
	if !c.lastOnDemand.IsZero() && now.Sub(c.lastOnDemand) < c.minRefetch {
		c.mu.Unlock()
		return nil, ErrUnknownKey
	}
	c.lastOnDemand = now
	done := make(chan struct{})
	c.inflight = done
	c.mu.Unlock()

	// Detached from the request: a cancelled request must not abort the fetch others wait on.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout)
	err := c.Fetch(fctx)
	cancel()
	c.mu.Lock()
	c.inflight = nil
	c.mu.Unlock()
	close(done)
	if err != nil {
		c.log.Warn("jwks refetch for unknown kid failed", "kid", kid, "err", err)
	}
	if k := c.Lookup(kid); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// Fetch downloads the JWKS and, if it holds at least one usable key, replaces the key set.
func (c *Cache) Fetch(ctx context.Context) error {
	keys, err := c.fetch(ctx)
	if c.onFetch != nil {
		c.onFetch(err == nil)
	}
	if err != nil {
		return err
	}
	// Keep the previous *PublicKey for unchanged keys: callers compare pointers to tell whether
	// a kid still names the key a token was verified with.
	if cur := c.keys.Load(); cur != nil {
		for kid, k := range keys {
			if old, ok := cur.byKid[kid]; ok && old.Equal(k) {
				keys[kid] = old
			}
		}
	}
	prev := c.keys.Swap(&keySet{byKid: keys, fetchedAt: c.now()})
	if prev == nil || !sameKids(prev.byKid, keys) {
		kids := make([]string, 0, len(keys))
		for k := range keys {
			kids = append(kids, k)
		}
		c.log.Info("jwks loaded", "url", c.url, "kids", kids)
	}
	return nil
}

func sameKids(a, b map[string]*ecdsa.PublicKey) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !v.Equal(w) {
			return false
		}
	}
	return true
}

func (c *Cache) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: fetch %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: fetch %s: status %d", c.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("jwks: read %s: %w", c.url, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("jwks: %s: document larger than %d bytes", c.url, maxBody)
	}
	keys, skipped, err := Parse(body)
	for _, s := range skipped {
		c.log.Warn("jwks key skipped", "reason", s)
	}
	return keys, err
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// Parse reads a JWKS document and returns its usable ES256 keys by kid, with a reason for
// every key it skipped. Only EC P-256 keys whose alg is ES256 (or absent) and whose use is
// sig (or absent) are kept. A document without a usable key is an error.
func Parse(doc []byte) (map[string]*ecdsa.PublicKey, []string, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, nil, fmt.Errorf("jwks: invalid JSON: %w", err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(set.Keys))
	var skipped []string
	for i, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, k.Kid, err))
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			// Ambiguous kid: refuse to guess which key it names.
			delete(keys, k.Kid)
			skipped = append(skipped, fmt.Sprintf("key %d: duplicate kid %q", i, k.Kid))
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, skipped, errors.New("jwks: no usable ES256 key")
	}
	return keys, skipped, nil
}

func (k jwk) publicKey() (*ecdsa.PublicKey, error) {
	switch {
	case k.Kid == "":
		return nil, errors.New("missing kid")
	case k.Kty != "EC":
		return nil, fmt.Errorf("kty %q, want EC", k.Kty)
	case k.Crv != "P-256":
		return nil, fmt.Errorf("crv %q, want P-256", k.Crv)
	case k.Alg != "" && k.Alg != "ES256":
		return nil, fmt.Errorf("alg %q, want ES256", k.Alg)
	case k.Use != "" && k.Use != "sig":
		return nil, fmt.Errorf("use %q, want sig", k.Use)
	}
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != 32 {
		return nil, errors.New("x is not a 32-byte base64url value")
	}
	y, err := base64.RawURLEncoding.DecodeString(k.Y)
	if err != nil || len(y) != 32 {
		return nil, errors.New("y is not a 32-byte base64url value")
	}
	point := make([]byte, 0, 65)
	point = append(point, 4)
	point = append(point, x...)
	point = append(point, y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return nil, fmt.Errorf("not a P-256 point: %w", err)
	}
	return pub, nil
}

// Run loads the key set (retrying with backoff until it succeeds) and then refreshes it
// periodically until ctx is done. Failed refreshes keep the previous key set.
func (c *Cache) Run(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for !c.Loaded() {
		fctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
		err := c.Fetch(fctx)
		cancel()
		if err == nil {
			break
		}
		c.log.Warn("jwks initial fetch failed; retrying", "url", c.url, "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	t := time.NewTicker(c.refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
			if err := c.Fetch(fctx); err != nil {
				c.log.Warn("jwks refresh failed; keeping previous keys", "url", c.url, "err", err)
			}
			cancel()
		}
	}
}
