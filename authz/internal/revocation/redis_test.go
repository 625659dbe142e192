package revocation_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"eco2/authz/internal/revocation"
	"eco2/authz/internal/testkit"
)

// revoke writes a revocation exactly as the Python logout does (ADR 0005): ZADD to the sorted
// set, then PUBLISH the JSON message.
func revoke(t *testing.T, c redis.UniversalClient, prefix string, e revocation.Entry, publish, store bool) {
	t.Helper()
	key, channel := revocation.Keys(prefix)
	ctx := context.Background()
	if store {
		if err := c.ZAdd(ctx, key, redis.Z{Score: float64(e.Exp), Member: e.Member()}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if publish {
		msg, _ := json.Marshal(e)
		if err := c.Publish(ctx, channel, msg).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func startRedisSource(t *testing.T, url, prefix string, set *revocation.Set, opts ...revocation.RedisOption) *revocation.RedisSource {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.DialTimeout = 500 * time.Millisecond
	opt.MaxRetries = -1
	client := redis.NewClient(opt)
	src := revocation.NewRedisSource(client, prefix, set, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = client.Close() })
	return src
}

func TestRedisBootstrapReadsLiveEntries(t *testing.T) {
	c, prefix := testkit.Redis(t)
	now := time.Now().Unix()
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindJTI, Value: "j-live", Exp: now + 600}, false, true)
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindSID, Value: "s-live", Exp: now + 600}, false, true)
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindJTI, Value: "j-expired", Exp: now - 3600}, false, true)
	key, _ := revocation.Keys(prefix)
	c.ZAdd(context.Background(), key, redis.Z{Score: float64(now + 600), Member: "garbage-member"})

	set := revocation.NewSet()
	if set.Fresh(time.Now()) {
		t.Fatal("fresh before bootstrap")
	}
	startRedisSource(t, testkit.RedisURL(), prefix, set, revocation.WithRedisResyncEvery(time.Hour))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	if !set.Revoked("j-live", "") || !set.Revoked("", "s-live") {
		t.Fatal("live entries missing after bootstrap")
	}
	if set.Revoked("j-expired", "") || set.Len() != 2 {
		t.Fatalf("expired or malformed entries loaded (len %d)", set.Len())
	}
	if !set.Fresh(time.Now()) {
		t.Fatal("not fresh after bootstrap")
	}
}

// A published revocation is applied at once, long before the next resync. The message is only
// published (not stored), so nothing but the subscription can have delivered it.
func TestRedisPubSubAppliedWithoutResync(t *testing.T) {
	c, prefix := testkit.Redis(t)
	set := revocation.NewSet()
	var live atomic.Bool
	startRedisSource(t, testkit.RedisURL(), prefix, set, revocation.WithRedisResyncEvery(time.Hour),
		revocation.WithRedisHooks(revocation.Hooks{Live: live.Store}))
	testkit.Eventually(t, 5*time.Second, "subscribed and bootstrapped", func() bool { return live.Load() && set.Bootstrapped() })
	exp := time.Now().Add(time.Hour).Unix()
	start := time.Now()
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindSID, Value: "s-pub", Exp: exp}, true, false)
	testkit.Eventually(t, 2*time.Second, "pub/sub revocation applied", func() bool { return set.Revoked("", "s-pub") })
	t.Logf("applied %s after PUBLISH", time.Since(start))
	// Malformed messages are ignored and do not break the subscription.
	_, channel := revocation.Keys(prefix)
	c.Publish(context.Background(), channel, "not json")
	c.Publish(context.Background(), channel, `{"kind":"user","value":"x","exp":1}`)
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindJTI, Value: "j-pub", Exp: exp}, true, false)
	testkit.Eventually(t, 2*time.Second, "second revocation applied", func() bool { return set.Revoked("j-pub", "") })
}

// An entry only written to the sorted set (its PUBLISH lost) is picked up by the periodic resync.
func TestRedisResyncPicksUpUnpublishedEntries(t *testing.T) {
	c, prefix := testkit.Redis(t)
	set := revocation.NewSet()
	startRedisSource(t, testkit.RedisURL(), prefix, set, revocation.WithRedisResyncEvery(100*time.Millisecond))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindJTI, Value: "j-zadd-only", Exp: time.Now().Add(time.Hour).Unix()}, false, true)
	testkit.Eventually(t, 3*time.Second, "resync picks up the ZADD", func() bool { return set.Revoked("j-zadd-only", "") })
}

// Expired entries are pruned on resync.
func TestRedisResyncPrunes(t *testing.T) {
	_, prefix := testkit.Redis(t)
	clock := testkit.NewClock(time.Now())
	set := revocation.NewSet(revocation.WithSetClock(clock.Now))
	set.Add(revocation.Entry{Kind: revocation.KindJTI, Value: "old", Exp: clock.Now().Add(10 * time.Second).Unix()})
	startRedisSource(t, testkit.RedisURL(), prefix, set, revocation.WithRedisResyncEvery(50*time.Millisecond))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	if !set.Revoked("old", "") {
		t.Fatal("pruned too early")
	}
	clock.Advance(41 * time.Second) // past exp + 30 s retention
	testkit.Eventually(t, 3*time.Second, "expired entry pruned", func() bool { return !set.Revoked("old", "") && set.Len() == 0 })
}

// Never reaching Redis leaves the state unknown: the decision answers 503.
func TestRedisUnreachableNeverBootstraps(t *testing.T) {
	set := revocation.NewSet()
	startRedisSource(t, "redis://127.0.0.1:1/0", "authztest:none:", set, revocation.WithRedisResyncEvery(50*time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	if set.Bootstrapped() || set.Fresh(time.Now()) {
		t.Fatal("bootstrapped without Redis")
	}
}

// Cutting the connection makes the state stale after stale_after; restoring it brings the
// state back (resubscribe + resync) and entries published meanwhile are not lost.
func TestRedisStaleAfterOutageAndRecovery(t *testing.T) {
	c, prefix := testkit.Redis(t)
	opt, _ := redis.ParseURL(testkit.RedisURL())
	proxy := testkit.NewProxy(t, opt.Addr)
	set := revocation.NewSet(revocation.WithStaleAfter(400 * time.Millisecond))
	startRedisSource(t, "redis://"+proxy.Addr()+"/"+itoa(opt.DB), prefix, set,
		revocation.WithRedisResyncEvery(100*time.Millisecond),
		revocation.WithRedisPingEvery(100*time.Millisecond))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)

	testkit.Eventually(t, 5*time.Second, "fresh before the outage", func() bool { return set.Fresh(time.Now()) })
	proxy.Cut()
	testkit.Eventually(t, 5*time.Second, "stale after the outage", func() bool { return !set.Fresh(time.Now()) })
	// Revoked during the outage (stored and published; the publish is lost to us).
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindSID, Value: "during-outage", Exp: time.Now().Add(time.Hour).Unix()}, true, true)
	proxy.Restore()
	testkit.Eventually(t, 10*time.Second, "fresh again after recovery", func() bool { return set.Fresh(time.Now()) })
	if !set.Revoked("", "during-outage") {
		t.Fatal("revocation written during the outage missing after recovery")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A quiet, healthy subscription keeps the state fresh on its own (pings answered), across many
// stale_after periods without any resync.
func TestRedisQuietSubscriptionStaysFreshOnPings(t *testing.T) {
	_, prefix := testkit.Redis(t)
	var syncs atomic.Int64
	set := revocation.NewSet(revocation.WithStaleAfter(time.Second))
	startRedisSource(t, testkit.RedisURL(), prefix, set,
		revocation.WithRedisResyncEvery(time.Hour),
		revocation.WithRedisPingEvery(100*time.Millisecond),
		revocation.WithRedisHooks(revocation.Hooks{Sync: func(bool, time.Duration) { syncs.Add(1) }}))
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if !set.Fresh(time.Now()) {
			t.Fatal("healthy but quiet subscription went stale")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := syncs.Load(); n != 1 {
		t.Fatalf("%d syncs: freshness must come from the subscription here, not from resyncs", n)
	}
}

// On a Redis Cluster the source reads the sorted set from its slot's master and hears a
// PUBLISH made through any node (ADR 0020).
func TestRedisClusterBootstrapAndPubSub(t *testing.T) {
	c, prefix := testkit.RedisCluster(t)
	now := time.Now().Unix()
	revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindJTI, Value: "j-stored", Exp: now + 600}, false, true)
	opt, err := redis.ParseClusterURL(testkit.RedisClusterURL())
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClusterClient(opt)
	set := revocation.NewSet()
	src := revocation.NewRedisSource(client, prefix, set, revocation.WithRedisResyncEvery(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = client.Close() })
	testkit.Eventually(t, 5*time.Second, "bootstrap", set.Bootstrapped)
	if !set.Revoked("j-stored", "") {
		t.Fatal("stored entry missing after bootstrap")
	}
	// Only published: nothing but the subscription can deliver it (it may start after the
	// bootstrap, so publish until it is heard).
	testkit.Eventually(t, 5*time.Second, "published entry applied", func() bool {
		revoke(t, c, prefix, revocation.Entry{Kind: revocation.KindSID, Value: "s-live", Exp: now + 600}, true, false)
		return set.Revoked("", "s-live")
	})
}
