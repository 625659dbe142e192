package revocation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisSource feeds a Set from the sorted set {prefix}auth:revoked and the Pub/Sub channel
// {prefix}auth:revocations. It subscribes first and then reads the snapshot, so no entry
// published in between is missed; it reads the snapshot again every resync interval and after
// every reconnection, pings the subscription to prove it alive, and prunes expired entries.
type RedisSource struct {
	base
	client    redis.UniversalClient
	key       string
	channel   string
	pingEvery time.Duration
}

// RedisOption configures a RedisSource.
type RedisOption func(*RedisSource)

// WithRedisResyncEvery sets the full resync interval (default 10 s).
func WithRedisResyncEvery(d time.Duration) RedisOption {
	return func(r *RedisSource) { r.resyncEvery = d }
}

// WithRedisPingEvery sets how often an idle subscription is pinged (default 5 s). A ping
// unanswered by the next interval counts the subscription as down.
func WithRedisPingEvery(d time.Duration) RedisOption {
	return func(r *RedisSource) { r.pingEvery = d }
}

// WithRedisLogger sets the logger.
func WithRedisLogger(l *slog.Logger) RedisOption { return func(r *RedisSource) { r.log = l } }

// WithRedisHooks sets observation hooks.
func WithRedisHooks(h Hooks) RedisOption { return func(r *RedisSource) { r.hooks = h } }

// WithRedisClock injects the time source (tests).
func WithRedisClock(now func() time.Time) RedisOption { return func(r *RedisSource) { r.now = now } }

// Keys returns the sorted-set key and the channel for a prefix (ADR 0005).
func Keys(prefix string) (key, channel string) {
	return prefix + "auth:revoked", prefix + "auth:revocations"
}

// NewRedisSource returns a source reading prefix's keys through client into set. The client is
// one server's or a Redis Cluster's: the key is one key, and a PUBLISH reaches every node.
func NewRedisSource(client redis.UniversalClient, prefix string, set *Set, opts ...RedisOption) *RedisSource {
	r := &RedisSource{client: client, pingEvery: 5 * time.Second}
	r.defaults(set)
	r.key, r.channel = Keys(prefix)
	for _, o := range opts {
		o(r)
	}
	return r
}

// Run implements Source.
func (r *RedisSource) Run(ctx context.Context) {
	go r.resyncLoop(ctx, r.Sync)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		up, err := r.subscribeOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if up {
			backoff = 100 * time.Millisecond
		}
		r.log.Warn("revocation subscription down; reconnecting", "channel", r.channel, "err", err, "retry_in", backoff.String())
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// subscribeOnce subscribes, syncs, then applies messages until the subscription fails. It
// reports whether the subscription had come up.
func (r *RedisSource) subscribeOnce(ctx context.Context) (bool, error) {
	ps := r.client.Subscribe(ctx)
	defer ps.Close()
	// Reads on a subscription ignore ctx; closing it is what interrupts a blocked read.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	if err := ps.Subscribe(ctx, r.channel); err != nil {
		return false, err
	}
	msg, err := ps.ReceiveTimeout(ctx, max(r.pingEvery, time.Second))
	if err != nil {
		return false, fmt.Errorf("subscribe %s: %w", r.channel, err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return false, fmt.Errorf("subscribe %s: unexpected %T", r.channel, msg)
	}
	// Subscribed: every entry written from now on reaches us. Read what was written before.
	if err := r.Sync(ctx); err != nil {
		return false, err
	}
	r.hooks.live(true)
	defer r.hooks.live(false)
	pingOut := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, r.pingEvery)
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			if !isTimeout(err) {
				return true, err
			}
			if pingOut {
				return true, errors.New("subscription ping unanswered")
			}
			if err := ps.Ping(ctx); err != nil {
				return true, err
			}
			pingOut = true
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			r.apply(m.Payload)
			r.set.MarkLive(r.now())
		case *redis.Pong:
			pingOut = false
			r.set.MarkLive(r.now())
		case *redis.Subscription:
			// The client re-subscribed on its own after a broken connection: messages may
			// have been lost, so read the snapshot again before trusting the feed.
			if err := r.Sync(ctx); err != nil {
				return true, err
			}
		}
	}
}

func (r *RedisSource) apply(payload string) {
	var e Entry
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		r.log.Warn("revocation message ignored", "err", err, "payload", truncate(payload, 200))
		return
	}
	r.set.Add(e)
	r.hooks.update()
}

// Sync reads every live entry of the sorted set into the Set and prunes expired ones.
func (r *RedisSource) Sync(ctx context.Context) error {
	start := r.now()
	zs, err := r.client.ZRangeByScoreWithScores(ctx, r.key, &redis.ZRangeBy{
		Min: strconv.FormatInt(r.set.MinScore(), 10),
		Max: "+inf",
	}).Result()
	if err != nil {
		r.hooks.sync(false, r.now().Sub(start))
		return fmt.Errorf("ZRANGEBYSCORE %s: %w", r.key, err)
	}
	entries := make([]Entry, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		kind, value, ok := strings.Cut(m, ":")
		e := Entry{Kind: Kind(kind), Value: value, Exp: int64(z.Score)}
		if !ok || e.Validate() != nil {
			r.log.Warn("revocation member ignored", "member", truncate(m, 200))
			continue
		}
		entries = append(entries, e)
	}
	r.set.Merge(entries)
	r.set.Prune()
	r.set.MarkSynced(start)
	r.hooks.sync(true, r.now().Sub(start))
	return nil
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
