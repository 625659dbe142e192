package verify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"eco2/authz/internal/jwks"
	"eco2/authz/internal/testkit"
	"eco2/authz/internal/verify"
)

type env struct {
	clock *testkit.Clock
	key   *testkit.Key
	srv   *testkit.JWKSServer
	keys  *jwks.Cache
	v     *verify.Verifier
}

func newEnv(t testing.TB, opts ...verify.Option) *env {
	t.Helper()
	e := &env{clock: testkit.NewClock(time.Now().Truncate(time.Second)), key: testkit.NewKey(t, "k1")}
	e.srv = testkit.NewJWKSServer(t, e.key)
	e.keys = jwks.New(e.srv.URL(), jwks.WithClock(e.clock.Now), jwks.WithMinRefetchInterval(10*time.Second))
	if err := e.keys.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.v = verify.New(e.keys, testkit.Issuer, testkit.Audience, opts...)
	return e
}

func (e *env) verify(tok string) (*verify.Claims, error) {
	return e.v.Verify(context.Background(), tok, e.clock.Now())
}

func kind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case verify.IsExpired(err):
		return "expired"
	default:
		return "invalid"
	}
}

func TestClaimsReturned(t *testing.T) {
	e := newEnv(t)
	c := testkit.Access(e.clock.Now())
	got, err := e.verify(e.key.Sign(c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != testkit.Subject || got.JTI != c["jti"] || got.SID != c["sid"] || got.Provider != testkit.Provider || got.Type != "access" {
		t.Fatalf("claims = %+v", got)
	}
}

// A cached verification must not outlive the token: time is checked on every call.
func TestCacheHitStillChecksTime(t *testing.T) {
	e := newEnv(t)
	tok := e.key.Sign(testkit.Access(e.clock.Now()))
	if _, err := e.verify(tok); err != nil {
		t.Fatal(err)
	}
	if e.v.CacheLen() != 1 {
		t.Fatalf("cache len = %d, want 1", e.v.CacheLen())
	}
	e.clock.Advance(15*time.Minute + 29*time.Second)
	if _, err := e.verify(tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.verify(tok); kind(err) != "expired" {
		t.Fatalf("cached token past exp + leeway: %v, want expired", err)
	}
}

// The cache is keyed by the whole token: the same header and payload under another signature
// is verified from scratch.
func TestCacheKeyCoversTheSignature(t *testing.T) {
	e := newEnv(t)
	c := testkit.Access(e.clock.Now())
	tok := e.key.Sign(c)
	if _, err := e.verify(tok); err != nil {
		t.Fatal(err)
	}
	forged := tok[:strings.LastIndexByte(tok, '.')+1] + strings.Repeat("A", 86)
	if _, err := e.verify(forged); kind(err) != "invalid" {
		t.Fatalf("forged signature over a cached header.payload: %v", err)
	}
	other := testkit.NewKey(t, "k1")
	if _, err := e.verify(other.Sign(c)); kind(err) != "invalid" {
		t.Fatalf("same claims signed by a stranger under the cached kid: %v", err)
	}
}

// Once the issuer drops a key from the JWKS, tokens verified with it stop passing, cached or not.
func TestCachedTokenRejectedAfterKeyRemoval(t *testing.T) {
	e := newEnv(t)
	tok := e.key.Sign(testkit.Access(e.clock.Now()))
	if _, err := e.verify(tok); err != nil {
		t.Fatal(err)
	}
	e.srv.SetKeys(testkit.NewKey(t, "k2"))
	if err := e.keys.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(tok); kind(err) != "invalid" {
		t.Fatalf("token of a removed key: %v, want invalid", err)
	}
}

// An unchanged key survives a refresh without invalidating the cache.
func TestRefreshKeepsCacheForUnchangedKeys(t *testing.T) {
	e := newEnv(t)
	tok := e.key.Sign(testkit.Access(e.clock.Now()))
	if _, err := e.verify(tok); err != nil {
		t.Fatal(err)
	}
	if err := e.keys.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(tok); err != nil {
		t.Fatal(err)
	}
	if e.v.CacheLen() != 1 {
		t.Fatalf("cache len = %d", e.v.CacheLen())
	}
}

func TestRotationThroughTheVerifier(t *testing.T) {
	e := newEnv(t)
	k2 := testkit.NewKey(t, "k2")
	base := e.srv.Hits()
	e.srv.SetKeys(e.key, k2)
	if _, err := e.verify(k2.Sign(testkit.Access(e.clock.Now()))); err != nil {
		t.Fatalf("token of a rotated-in key: %v", err)
	}
	stranger := testkit.NewKey(t, "k3")
	for range 5 {
		if _, err := e.verify(stranger.Sign(testkit.Access(e.clock.Now()))); kind(err) != "invalid" {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if got := e.srv.Hits() - base; got != 1 {
		t.Fatalf("JWKS fetches = %d, want 1 (one for the rotation, unknown kids rate-limited)", got)
	}
}

func TestCacheDisabled(t *testing.T) {
	e := newEnv(t, verify.WithCacheSize(0))
	tok := e.key.Sign(testkit.Access(e.clock.Now()))
	for range 2 {
		if _, err := e.verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if e.v.CacheLen() != 0 {
		t.Fatal("disabled cache holds entries")
	}
}

func TestCacheIsBounded(t *testing.T) {
	e := newEnv(t, verify.WithCacheSize(128))
	for range 1000 {
		if _, err := e.verify(e.key.Sign(testkit.Access(e.clock.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.v.CacheLen(); n > 128 {
		t.Fatalf("cache len = %d, want <= 128", n)
	}
}

func TestLeewayOption(t *testing.T) {
	e := newEnv(t, verify.WithLeeway(0))
	now := e.clock.Now()
	if _, err := e.verify(e.key.Sign(testkit.Access(now).With("exp", now.Unix()))); kind(err) != "expired" {
		t.Fatalf("exp == now without leeway: %v", err)
	}
	if _, err := e.verify(e.key.Sign(testkit.Access(now).With("nbf", now.Unix()+1))); kind(err) != "invalid" {
		t.Fatalf("nbf in the future without leeway: %v", err)
	}
}

func TestTooLongToken(t *testing.T) {
	e := newEnv(t, verify.WithMaxTokenLength(100))
	if _, err := e.verify(e.key.Sign(testkit.Access(e.clock.Now()))); kind(err) != "invalid" {
		t.Fatalf("over-long token: %v", err)
	}
}

// FuzzVerify: nothing derived from a valid token by mutation verifies unless it is the token.
func FuzzVerify(f *testing.F) {
	f.Add(0, byte('x'))
	f.Add(10, byte('.'))
	f.Add(40, byte('A'))
	f.Add(200, byte('-'))
	e := newEnv(f)
	tok := e.key.Sign(testkit.Access(e.clock.Now()))
	f.Fuzz(func(t *testing.T, pos int, b byte) {
		if pos < 0 {
			pos = -pos
		}
		pos %= len(tok)
		mut := tok[:pos] + string(b) + tok[pos+1:]
		_, err := e.verify(mut)
		if mut == tok {
			if err != nil {
				t.Fatalf("unmutated token rejected: %v", err)
			}
			return
		}
		if err == nil && strings.TrimRight(mut, "=") != tok {
			t.Fatalf("mutated token accepted at %d with %q", pos, b)
		}
	})
}

func TestRolesReturned(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	for _, c := range []struct {
		name     string
		claims   testkit.Claims
		roles    int
		operator bool
		result   string
	}{
		{"user token: no roles", testkit.Access(now), 0, false, "ok"},
		{"operator token", testkit.Operator(now), 1, true, "ok"},
		{"null roles", testkit.Access(now).With("roles", json.RawMessage("null")), 0, false, "ok"},
		{"roles as a string", testkit.Access(now).With("roles", "operator"), 0, false, "invalid"},
		{"roles with a number", testkit.Access(now).With("roles", []any{"operator", 1}), 0, false, "invalid"},
		{"empty role", testkit.Access(now).With("roles", []string{""}), 0, false, "invalid"},
	} {
		got, err := e.verify(e.key.Sign(c.claims))
		if kind(err) != c.result {
			t.Fatalf("%s: %v, want %s", c.name, err, c.result)
		}
		if err == nil && (len(got.Roles) != c.roles || got.HasRole("operator") != c.operator) {
			t.Fatalf("%s: roles %v", c.name, got.Roles)
		}
	}
}
