package testkit

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisURL is the test Redis (ECO2_TEST_REDIS_URL, default redis://127.0.0.1:6379/0).
func RedisURL() string {
	if u := os.Getenv("ECO2_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Redis returns a client for the test Redis and a unique key prefix, and deletes the prefix's
// keys when the test ends. A missing Redis fails the test (it is never skipped).
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("bad ECO2_TEST_REDIS_URL %q: %v", RedisURL(), err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		t.Fatalf("Redis is required at %s (%v): start it with `scripts/services up` (or set ECO2_TEST_REDIS_URL)", RedisURL(), err)
	}
	prefix := fmt.Sprintf("authztest:%s:", NewID())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		_ = c.Close()
	})
	return c, prefix
}

// Proxy is a TCP proxy that tests can cut and restore to simulate a network failure.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	down   bool
	closed bool
}

// NewProxy starts a proxy on localhost:0 to target (host:port).
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down || p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.conns[u] = struct{}{}
		p.mu.Unlock()
		go p.pipe(c, u)
		go p.pipe(u, c)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
}

// Restore accepts connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
}

// Eventually polls cond every 5 ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// RedisClusterURL is a node of the test Redis Cluster (ECO2_TEST_REDIS_CLUSTER_URL, default the
// three local masters that `scripts/services up` starts: redis://127.0.0.1:7001).
func RedisClusterURL() string {
	if u := os.Getenv("ECO2_TEST_REDIS_CLUSTER_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:7001"
}

// RedisCluster is Redis for a Redis Cluster: a cluster client and a unique key prefix, whose
// keys are deleted from every master when the test ends. A missing cluster fails the test.
func RedisCluster(t testing.TB) (*redis.ClusterClient, string) {
	t.Helper()
	opt, err := redis.ParseClusterURL(RedisClusterURL())
	if err != nil {
		t.Fatalf("bad ECO2_TEST_REDIS_CLUSTER_URL %q: %v", RedisClusterURL(), err)
	}
	c := redis.NewClusterClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		t.Fatalf("Redis Cluster is required at %s (%v): start it with `scripts/services up`", RedisClusterURL(), err)
	}
	prefix := fmt.Sprintf("authztest:%s:", NewID())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			keys, _ := node.Keys(ctx, prefix+"*").Result()
			for _, k := range keys {
				node.Del(ctx, k)
			}
			return nil
		})
		_ = c.Close()
	})
	return c, prefix
}
