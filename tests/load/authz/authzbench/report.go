package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

type ghzReport struct {
	Count      uint64         `json:"count"`
	Total      time.Duration  `json:"total"`
	Rps        float64        `json:"rps"`
	ErrorDist  map[string]int `json:"errorDistribution"`
	StatusDist map[string]int `json:"statusCodeDistribution"`
	Details    []struct {
		Latency time.Duration `json:"latency"`
		Error   string        `json:"error"`
	} `json:"details"`
}

// summary is what the run prints and keeps for the side-by-side comparison.
type summary struct {
	Label    string        `json:"label"`
	Count    uint64        `json:"count"`
	Errors   int           `json:"errors"`
	Duration time.Duration `json:"duration"`
	Rps      float64       `json:"rps"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	P999     time.Duration `json:"p999"`
	Max      time.Duration `json:"max"`
	Mix      string        `json:"mix,omitempty"`
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }

// cmdReport reads a ghz JSON report, prints checks/s and p50/p99/p99.9 (from every request's
// latency, not ghz's coarser summary), the decision mix seen by the server, and ratios against
// the target and against another summary (OPA) of the same run.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("ghz", "", "ghz -O json output")
	label := fs.String("label", "authz", "label")
	before := fs.String("before", "", "metrics snapshot before the run")
	after := fs.String("after", "", "metrics snapshot after the run")
	save := fs.String("save", "", "write the summary here (JSON)")
	against := fs.String("against", "", "summary JSON to compare with (same run)")
	targetRps := fs.Float64("target-rps", 15000, "target checks/s")
	targetP99 := fs.Duration("target-p99", 10*time.Millisecond, "target p99")
	serverCPU := fs.Float64("server-cpu", 0, "CPU seconds the server used during the run")
	clientCPU := fs.Float64("client-cpu", 0, "CPU seconds the load generator used")
	brief := fs.Bool("brief", false, "skip the ratio lines")
	_ = fs.Parse(args)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	var r ghzReport
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&r); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	lat := make([]time.Duration, 0, len(r.Details))
	errs, cut := 0, 0
	other := map[string]int{}
	for _, d := range r.Details {
		if d.Error != "" {
			// ghz -z cancels the calls still in flight when the time is up; those are not
			// failures of the server.
			if stopArtifact(d.Error) {
				cut++
			} else {
				errs++
				other[d.Error]++
			}
			continue
		}
		lat = append(lat, d.Latency)
	}
	slices.Sort(lat)
	// Throughput counts completed checks only.
	rps := float64(len(lat)) / r.Total.Seconds()
	s := summary{Label: *label, Count: uint64(len(lat)), Errors: errs, Duration: r.Total, Rps: rps,
		P50: pct(lat, 50), P99: pct(lat, 99), P999: pct(lat, 99.9)}
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	if *before != "" && *after != "" {
		s.Mix, err = mix(*before, *after)
		if err != nil {
			return err
		}
	}
	fmt.Printf("%-22s checks/s %7.0f   p50 %9s   p99 %9s   p99.9 %9s   max %9s   (%d checks in %.1fs, %d errors, %d cut at the stop)\n",
		s.Label, s.Rps, ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max), s.Count, s.Duration.Seconds(), s.Errors, cut)
	if errs > 0 {
		fmt.Printf("       errors: %v\n", other)
	}
	if *serverCPU > 0 {
		fmt.Printf("       server CPU %.1f s = %.0f checks per CPU-second (%.0f us each)", *serverCPU, float64(s.Count) / *serverCPU, *serverCPU*1e6/float64(max(s.Count, 1)))
		if *clientCPU > 0 {
			fmt.Printf("; load generator CPU %.1f s (%.0f us per check)", *clientCPU, *clientCPU*1e6/float64(max(s.Count, 1)))
		}
		fmt.Println()
	}
	if s.Mix != "" {
		fmt.Printf("       decisions seen by the server: %s\n", s.Mix)
	}
	if *brief {
		if *save != "" {
			return writeJSON(*save, s)
		}
		return nil
	}
	fmt.Printf("       vs target (>= %.0f checks/s, p99 < %s): throughput x%.2f, p99 %s -> %s\n",
		*targetRps, *targetP99, s.Rps / *targetRps, ms(s.P99), verdict(s.Rps >= *targetRps && s.P99 < *targetP99))
	fmt.Printf("       vs the original (~1,400 checks/s, p99 200-350 ms): throughput x%.1f\n", s.Rps/1400)
	if *against != "" {
		b, err := os.ReadFile(*against)
		if err == nil {
			var o summary
			if json.Unmarshal(b, &o) == nil && o.Rps > 0 {
				fmt.Printf("       vs %s in this run: throughput x%.2f, p99 x%.2f lower, p99.9 x%.2f lower\n",
					o.Label, s.Rps/o.Rps, float64(o.P99)/float64(max(s.P99, 1)), float64(o.P999)/float64(max(s.P999, 1)))
			}
		}
	}
	if *save != "" {
		return writeJSON(*save, s)
	}
	return nil
}

// stopArtifact tells the errors of calls cut by ghz's own stop (-z: it cancels what is in flight
// and closes its connections) from failures of the server.
func stopArtifact(e string) bool {
	for _, m := range []string{"Canceled", "connection is closing", "use of closed network connection", "transport is closing"} {
		if strings.Contains(e, m) {
			return true
		}
	}
	return false
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// cmdMetrics saves authz_decisions_total{server="grpc"} by reason.
func cmdMetrics(args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ExitOnError)
	addr := fs.String("addr", "", "metrics host:port")
	out := fs.String("out", "", "snapshot file")
	_ = fs.Parse(args)
	resp, err := http.Get("http://" + *addr + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "authz_decisions_total{") || !strings.Contains(line, `server="grpc"`) {
			continue
		}
		i := strings.Index(line, `reason="`)
		if i < 0 {
			continue
		}
		reason := line[i+8:]
		reason = reason[:strings.IndexByte(reason, '"')]
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			m[reason] = v
		}
	}
	return writeJSON(*out, m)
}

func mix(before, after string) (string, error) {
	read := func(p string) (map[string]float64, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m := map[string]float64{}
		return m, json.Unmarshal(b, &m)
	}
	a, err := read(before)
	if err != nil {
		return "", err
	}
	b, err := read(after)
	if err != nil {
		return "", err
	}
	total := 0.0
	for k, v := range b {
		total += v - a[k]
	}
	if total == 0 {
		return "", errors.New("no decisions counted between the snapshots")
	}
	var parts []string
	for _, k := range []string{"allow", "token_expired", "token_revoked", "token_invalid", "token_missing", "unavailable", "allow_public", "allow_preflight"} {
		if d := b[k] - a[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", k, 100*d/total))
		}
	}
	return strings.Join(parts, ", "), nil
}
