// Command scanload is a load-driver process of the scan bench in Go: many virtual users, one
// goroutine each, speaking the same JSON-lines protocol as tests/load/scan/driver.py and
// producing the same per-job records, so the bench (tests/load/scan_bench.py --driver go)
// runs either. It exists to keep the load generator's CPU off the system under test.
//
//	scanload <config.json>      # started by tests/load/scan_bench.py
//
// config: {"url", "users": [[index, name], ...], "photo_b64", "login_concurrency"}. It logs
// every user in, prints {"t": "ready", ...}, reads one line {"stop_at": <monotonic s>,
// "drain_s": s, "settle_until": <monotonic s> | null} on stdin (monotonic = Python's
// time.monotonic(), CLOCK_MONOTONIC), runs the users' closed loops until stop_at, lets the
// jobs in flight finish within drain_s, then (with settle_until, for --chaos) polls every
// unfinished job's result until then, and prints {"t": "result", ...} with every job.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

type config struct {
	URL              string               `json:"url"`
	Users            [][2]json.RawMessage `json:"users"`
	PhotoB64         string               `json:"photo_b64"`
	LoginConcurrency int                  `json:"login_concurrency"`
}

type start struct {
	StopAt      float64  `json:"stop_at"`
	DrainS      float64  `json:"drain_s"`
	SettleUntil *float64 `json:"settle_until"`
}

var out = bufio.NewWriterSize(os.Stdout, 1<<20)

func emit(message any) {
	data, err := json.Marshal(message)
	if err != nil {
		panic(err)
	}
	out.Write(data)
	out.WriteByte('\n')
	out.Flush()
}

func die(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "scanload: "+format+"\n", a...)
	os.Exit(2)
}

// transport is shared by every user's clients: keep-alive, a pool sized for N (2 N + 20, as
// the Python driver's httpx limits), the stream's 10 s connect limit through its context.
func transport(n int) *http.Transport {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			limit, ok := ctx.Value(connectTimeoutKey{}).(time.Duration)
			if !ok {
				limit = callLimit
			}
			ctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        2*n + 20,
		MaxIdleConnsPerHost: 2*n + 20,
		MaxConnsPerHost:     2*n + 20,
		IdleConnTimeout:     90 * time.Second,
	}
}

// loginAll logs everyone in, `concurrency` at a time (three tries each, 1 s apart); returns
// the errors by kind.
func loginAll(vus []*VU, concurrency int) map[string]int {
	errs := map[string]int{}
	var mu sync.Mutex
	gate := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for _, vu := range vus {
		wg.Go(func() {
			gate <- struct{}{}
			defer func() { <-gate }()
			for attempt := 0; attempt < 3; attempt++ {
				err := vu.login(context.Background())
				if err == nil {
					return
				}
				if attempt == 2 {
					mu.Lock()
					errs[kindOf(err)]++
					mu.Unlock()
				}
				time.Sleep(time.Second)
			}
		})
	}
	wg.Wait()
	return errs
}

func main() {
	if len(os.Args) != 2 {
		die("usage: scanload <config.json>")
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		die("%v", err)
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		die("config: %v", err)
	}
	base, err := url.Parse(cfg.URL)
	if err != nil {
		die("url: %v", err)
	}
	photo, err := base64.StdEncoding.DecodeString(cfg.PhotoB64)
	if err != nil {
		die("photo: %v", err)
	}
	shared := transport(len(cfg.Users))
	vus := make([]*VU, 0, len(cfg.Users))
	for _, u := range cfg.Users {
		var index int
		var name string
		if json.Unmarshal(u[0], &index) != nil || json.Unmarshal(u[1], &name) != nil {
			die("users: want [index, name] pairs")
		}
		vus = append(vus, newVU(index, name, base, shared, photo))
	}

	loginStarted := mono()
	loginErrors := loginAll(vus, cfg.LoginConcurrency)
	emit(map[string]any{
		"t": "ready", "users": len(vus), "login_s": mono() - loginStarted,
		"login_errors": loginErrors,
	})

	line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
	if err != nil {
		die("stdin: %v", err)
	}
	var goMsg start
	if err := json.Unmarshal(line, &goMsg); err != nil {
		die("start line: %v", err)
	}

	ctx, cut := context.WithCancel(context.Background())
	finished := make([]chan struct{}, len(vus))
	for i, vu := range vus {
		finished[i] = make(chan struct{})
		go func() {
			defer close(finished[i])
			vu.run(ctx, goMsg.StopAt)
		}()
	}
	time.Sleep(time.Duration(max(0, goMsg.StopAt-mono()) * float64(time.Second)))
	cutAtDrain := drain(finished, time.Duration(goMsg.DrainS*float64(time.Second)), cut)

	missing := []string{}
	if goMsg.SettleUntil != nil && *goMsg.SettleUntil != 0 {
		found := make([][]string, len(vus))
		var wg sync.WaitGroup
		for i, vu := range vus {
			wg.Go(func() { found[i] = vu.settle(context.Background(), *goMsg.SettleUntil) })
		}
		wg.Wait()
		for _, f := range found {
			missing = append(missing, f...)
		}
	}

	counters := Counters{ShapeErrors: map[string]int{}}
	jobs := []*Job{}
	for _, vu := range vus {
		c := vu.counters
		counters.Refreshes += c.Refreshes
		counters.Relogins += c.Relogins
		counters.NotStoredAtDone += c.NotStoredAtDone
		for k, v := range c.ShapeErrors {
			counters.ShapeErrors[k] += v
		}
		jobs = append(jobs, vu.jobs...)
	}
	emit(map[string]any{
		"t": "result", "jobs": jobs, "counters": counters, "cut_at_drain": cutAtDrain,
		"missing": missing, "open_files": openFiles(),
	})
}

// drain waits for the cycles in flight; after `within` it cuts the rest and waits for them to
// unwind. Returns how many were cut.
func drain(finished []chan struct{}, within time.Duration, cut context.CancelFunc) int {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	pending := 0
	for i, done := range finished {
		select {
		case <-done:
			continue
		case <-deadline.C:
			for _, rest := range finished[i:] {
				select {
				case <-rest:
				default:
					pending++
				}
			}
		}
		break
	}
	cut()
	for _, done := range finished {
		<-done
	}
	return pending
}
