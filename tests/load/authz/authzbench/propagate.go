package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// cmdPropagate measures revocation propagation: for each of n logins it checks that every
// replica allows the token, then revokes it as the Python logout does (ZADD to the sorted set
// and PUBLISH the JSON message, ADR 0005; one MULTI like functions/auth/redis_revocations.py) and polls every replica's HTTP check as fast as it
// answers until each denies with TOKEN_REVOKED. The figure per revocation is the time from just
// before the write to the moment the last replica denied.
func cmdPropagate(args []string) error {
	fs := flag.NewFlagSet("propagate", flag.ExitOnError)
	url := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	prefix := fs.String("prefix", "", "key prefix")
	keyFile := fs.String("key", "", "key.pem from gen")
	replicas := fs.String("replicas", "", "comma-separated HTTP addresses of the replicas")
	n := fs.Int("n", 1000, "revocations")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on one revocation after")
	_ = fs.Parse(args)
	priv, err := loadKey(*keyFile)
	if err != nil {
		return err
	}
	rc, err := redisClient(*url)
	if err != nil {
		return err
	}
	defer rc.Close()
	addrs := strings.Split(*replicas, ",")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 2 * time.Second}
	check := func(addr, tok string) (string, error) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/check/api/v1/users/me", nil)
		req.Header.Set("Cookie", "s_access="+tok)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			_, _ = io.Copy(io.Discard, resp.Body)
			return "ALLOW", nil
		}
		var body struct{ Code string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return body.Code, nil
	}
	key, channel := *prefix+"auth:revoked", *prefix+"auth:revocations"
	ctx := context.Background()
	all := make([]time.Duration, 0, *n)
	perReplica := make([][]time.Duration, len(addrs))
	for range *n {
		now := time.Now()
		sub, sid := newID(), newID()
		c := accessClaims(now, sub, sid)
		tok := sign(priv, c)
		for _, a := range addrs {
			if got, err := check(a, tok); err != nil || got != "ALLOW" {
				return fmt.Errorf("replica %s before revocation: %q %v", a, got, err)
			}
		}
		// Logout, as functions/auth does it: one MULTI with ZADD GT of every entry (the access
		// token's jti scored by its exp, the session's sid by the family's expiry), the prune of
		// expired members, then one PUBLISH per entry.
		entries := []revEntry{
			{"jti", c["jti"].(string), c["exp"].(int64)},
			{"sid", sid, now.Add(14 * 24 * time.Hour).Unix()},
		}
		start := time.Now()
		_, err := rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range entries {
				p.ZAddGT(ctx, key, redis.Z{Score: float64(e.Exp), Member: e.Kind + ":" + e.Value})
			}
			p.ZRemRangeByScore(ctx, key, "-inf", fmt.Sprintf("(%d", time.Now().Unix()))
			for _, e := range entries {
				msg, _ := json.Marshal(e)
				p.Publish(ctx, channel, msg)
			}
			return nil
		})
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		seen := make([]time.Duration, len(addrs))
		errs := make([]error, len(addrs))
		for j, a := range addrs {
			wg.Go(func() {
				for {
					got, err := check(a, tok)
					if err == nil && got == "TOKEN_REVOKED" {
						seen[j] = time.Since(start)
						return
					}
					if time.Since(start) > *timeout {
						errs[j] = fmt.Errorf("replica %s still answers %q (%v) %s after the revocation", a, got, err, *timeout)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for j := range addrs {
			perReplica[j] = append(perReplica[j], seen[j])
		}
		all = append(all, slices.Max(seen))
	}
	slices.Sort(all)
	fmt.Printf("revocation propagation to all %d replicas, %d logouts (MULTI: ZADD jti + sid, prune, PUBLISH x2; then poll every replica's HTTP check):\n", len(addrs), *n)
	fmt.Printf("       p50 %s   p99 %s   max %s   -> target p99 < 1 s: %s (x%.0f under)\n",
		ms(pct(all, 50)), ms(pct(all, 99)), ms(all[len(all)-1]), verdict(pct(all, 99) < time.Second), float64(time.Second)/float64(max(pct(all, 99), 1)))
	for j, a := range addrs {
		slices.Sort(perReplica[j])
		fmt.Printf("       replica %s: p50 %s p99 %s\n", a, ms(pct(perReplica[j], 50)), ms(pct(perReplica[j], 99)))
	}
	return nil
}
