package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// cmdJWKS serves a JWKS file at the contract path until killed.
func cmdJWKS(args []string) error {
	fs := flag.NewFlagSet("jwks", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	file := fs.String("file", "", "JWKS document")
	_ = fs.Parse(args)
	doc, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/auth/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	srv := &http.Server{Addr: *addr, Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func redisClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("Redis at %s: %w (start it with `scripts/services up`)", url, err)
	}
	return c, nil
}

// cmdSeed writes the revoked entries into {prefix}auth:revoked (what a bootstrap reads).
func cmdSeed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	url := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	prefix := fs.String("prefix", "", "key prefix")
	file := fs.String("file", "", "revoked.json from gen")
	_ = fs.Parse(args)
	c, err := redisClient(*url)
	if err != nil {
		return err
	}
	defer c.Close()
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var entries []revEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return err
	}
	zs := make([]redis.Z, 0, len(entries))
	for _, e := range entries {
		zs = append(zs, redis.Z{Score: float64(e.Exp), Member: e.Kind + ":" + e.Value})
	}
	if len(zs) > 0 {
		if err := c.ZAdd(context.Background(), *prefix+"auth:revoked", zs...).Err(); err != nil {
			return err
		}
	}
	fmt.Printf("seeded %d revocations into %sauth:revoked\n", len(zs), *prefix)
	return nil
}

// cmdUnseed deletes every key under the prefix.
func cmdUnseed(args []string) error {
	fs := flag.NewFlagSet("unseed", flag.ExitOnError)
	url := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	prefix := fs.String("prefix", "", "key prefix")
	_ = fs.Parse(args)
	if !strings.HasPrefix(*prefix, "authzbench:") {
		return errors.New("refusing to delete keys outside authzbench:*")
	}
	c, err := redisClient(*url)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, *prefix+"*").Result()
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return c.Del(ctx, keys...).Err()
	}
	return nil
}

// cmdFreePorts prints n free loopback ports.
func cmdFreePorts(args []string) error {
	fs := flag.NewFlagSet("freeports", flag.ExitOnError)
	n := fs.Int("n", 1, "how many")
	_ = fs.Parse(args)
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	var ports []string
	for range *n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, l)
		ports = append(ports, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}

// cmdWaitReady polls /readyz of each address until 200 or timeout.
func cmdWaitReady(args []string) error {
	fs := flag.NewFlagSet("waitready", flag.ExitOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	_ = fs.Parse(args)
	deadline := time.Now().Add(*timeout)
	for _, a := range fs.Args() {
		for {
			resp, err := http.Get("http://" + a + "/readyz")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready after %s", a, *timeout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}
