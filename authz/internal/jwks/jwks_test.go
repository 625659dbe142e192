package jwks_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"eco2/authz/internal/jwks"
	"eco2/authz/internal/testkit"
)

func TestFetchKeepsOnlyES256Keys(t *testing.T) {
	good := testkit.NewKey(t, "good")
	other := testkit.NewKey(t, "x")
	bad := func(kv ...any) map[string]any {
		m := other.JWK()
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	srv := testkit.NewJWKSServer(t)
	srv.SetRaw(good.JWK(),
		bad("kid", "rsa", "kty", "RSA"),
		bad("kid", "p384", "crv", "P-384"),
		bad("kid", "hs", "alg", "HS256"),
		bad("kid", "enc", "use", "enc"),
		bad("kid", ""),
		bad("kid", "short-x", "x", "AAAA"),
		bad("kid", "off-curve", "y", other.JWK()["x"]), // (x, x) is not on the curve
	)
	c := jwks.New(srv.URL())
	if err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 || c.Lookup("good") == nil {
		t.Fatalf("want only the good key, have %d", c.Len())
	}
	for _, kid := range []string{"rsa", "p384", "hs", "enc", "short-x", "off-curve"} {
		if c.Lookup(kid) != nil {
			t.Errorf("key %q must be skipped", kid)
		}
	}
	if !c.Lookup("good").Equal(&good.Priv.PublicKey) {
		t.Fatal("parsed key differs from the published one")
	}
}

func TestDuplicateKidIsDropped(t *testing.T) {
	a, b := testkit.NewKey(t, "same"), testkit.NewKey(t, "same")
	keep := testkit.NewKey(t, "keep")
	srv := testkit.NewJWKSServer(t, a, b, keep)
	c := jwks.New(srv.URL())
	if err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Lookup("same") != nil {
		t.Fatal("an ambiguous kid must not verify anything")
	}
}

func TestFetchFailureKeepsPreviousKeys(t *testing.T) {
	k := testkit.NewKey(t, "k1")
	srv := testkit.NewJWKSServer(t, k)
	c := jwks.New(srv.URL())
	if err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.SetFailing(true)
	if err := c.Fetch(context.Background()); err == nil {
		t.Fatal("want an error from a failing JWKS")
	}
	srv.SetFailing(false)
	srv.SetRaw() // no keys
	if err := c.Fetch(context.Background()); err == nil {
		t.Fatal("want an error from an empty JWKS")
	}
	if c.Lookup("k1") == nil {
		t.Fatal("previous keys must survive failed fetches")
	}
}

func TestUnknownKidRefetchesOnceAndRotationIsAccepted(t *testing.T) {
	k1, k2 := testkit.NewKey(t, "k1"), testkit.NewKey(t, "k2")
	srv := testkit.NewJWKSServer(t, k1)
	clock := testkit.NewClock(time.Now())
	c := jwks.New(srv.URL(), jwks.WithClock(clock.Now), jwks.WithMinRefetchInterval(10*time.Second))
	ctx := context.Background()
	if err := c.Fetch(ctx); err != nil {
		t.Fatal(err)
	}
	base := srv.Hits()

	// Known kid: no fetch.
	if _, err := c.Key(ctx, "k1"); err != nil || srv.Hits() != base {
		t.Fatalf("known kid: err %v, hits %d", err, srv.Hits()-base)
	}
	// Rotation: the issuer publishes k2; the first token under k2 triggers one refetch.
	srv.SetKeys(k2, k1)
	if _, err := c.Key(ctx, "k2"); err != nil {
		t.Fatalf("rotated kid not accepted after refetch: %v", err)
	}
	if got := srv.Hits() - base; got != 1 {
		t.Fatalf("refetches = %d, want 1", got)
	}
	// A truly unknown kid within the interval: 401 without another fetch.
	if _, err := c.Key(ctx, "nope"); !errors.Is(err, jwks.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if _, err := c.Key(ctx, "nope-2"); !errors.Is(err, jwks.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if got := srv.Hits() - base; got != 1 {
		t.Fatalf("refetches within the interval = %d, want still 1 (rate-limited)", got)
	}
	// After the interval, one more refetch is allowed.
	clock.Advance(10 * time.Second)
	if _, err := c.Key(ctx, "nope"); !errors.Is(err, jwks.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if got := srv.Hits() - base; got != 2 {
		t.Fatalf("refetches after the interval = %d, want 2", got)
	}
	// Keys dropped by the issuer disappear on the next fetch.
	srv.SetKeys(k2)
	if err := c.Fetch(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Lookup("k1") != nil {
		t.Fatal("a key removed from the JWKS must stop verifying")
	}
}

func TestConcurrentUnknownKidsShareOneFetch(t *testing.T) {
	k1 := testkit.NewKey(t, "k1")
	srv := testkit.NewJWKSServer(t, k1)
	c := jwks.New(srv.URL(), jwks.WithMinRefetchInterval(time.Hour))
	if err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := srv.Hits()
	srv.SetKeys(k1, testkit.NewKey(t, "k2"))
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := c.Key(context.Background(), "k2")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		}
	}
	if got := srv.Hits() - base; got != 1 {
		t.Fatalf("fetches = %d, want 1", got)
	}
	// Callers that arrived while the fetch was under way see its result; later ones find the
	// key already loaded. Either way every caller resolves k2.
	if ok != 50 {
		t.Fatalf("%d of 50 callers resolved the rotated kid", ok)
	}
}

func TestRunLoadsWithRetryAndRefreshes(t *testing.T) {
	k1 := testkit.NewKey(t, "k1")
	srv := testkit.NewJWKSServer(t, k1)
	srv.SetFailing(true)
	c := jwks.New(srv.URL(), jwks.WithRefreshEvery(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	time.Sleep(100 * time.Millisecond)
	if c.Loaded() {
		t.Fatal("loaded from a failing JWKS")
	}
	srv.SetFailing(false)
	testkit.Eventually(t, 3*time.Second, "initial JWKS load after the server recovers", c.Loaded)
	k2 := testkit.NewKey(t, "k2")
	srv.SetKeys(k2)
	testkit.Eventually(t, 3*time.Second, "periodic refresh picks up k2", func() bool { return c.Lookup("k2") != nil })
}
