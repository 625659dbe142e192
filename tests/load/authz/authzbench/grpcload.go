package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawCodec sends pre-encoded request bytes and keeps the response bytes, so the driver spends
// its CPU on the calls, not on (de)serialising CheckRequests.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}

// allowed reads CheckResponse.ok_response (field 3) vs denied_response (field 2).
func allowed(b []byte) (bool, error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false, errors.New("bad response")
		}
		b = b[n:]
		switch num {
		case 3:
			return true, nil
		case 2:
			return false, nil
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return false, errors.New("bad response")
		}
		b = b[n:]
	}
	return false, errors.New("response without ok or denied")
}

// cmdGRPCLoad is a lean closed-loop gRPC driver (generated types, pre-encoded requests): the
// same requests as ghz, to tell the server's capacity from the load generator's.
func cmdGRPCLoad(args []string) error {
	fs := flag.NewFlagSet("grpcload", flag.ExitOnError)
	addr := fs.String("addr", "", "gRPC host:port (loopback)")
	data := fs.String("data", "", "ghz-data.json from gen")
	conc := fs.Int("c", 2500, "concurrent calls (streams)")
	conns := fs.Int("connections", 10, "connections")
	dur := fs.Duration("d", 30*time.Second, "measured duration")
	warm := fs.Duration("warmup", 3*time.Second, "unmeasured warm-up")
	out := fs.String("o", "", "write a ghz-compatible JSON report here (count, total, rps, details)")
	rate := fs.Float64("rate", 0, "open loop: start calls at this rate (calls/s) and time each from its scheduled start; 0 = closed loop (each stream calls again at once)")
	serverPid := fs.Int("server-pid", 0, "the server's pid: its CPU over the measured window is written to <cpu-out>.srvcpu")
	clkTck := fs.Float64("clk-tck", 100, "clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)")
	cpuOut := fs.String("cpu-out", "", "write the window's CPU seconds to <cpu-out>.srvcpu (server) and <cpu-out>.clicpu (this driver)")
	_ = fs.Parse(args)
	b, err := os.ReadFile(*data)
	if err != nil {
		return err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	msgs := make([][]byte, len(raws))
	for i, r := range raws {
		var req authv3.CheckRequest
		if err := protojson.Unmarshal(r, &req); err != nil {
			return err
		}
		if msgs[i], err = proto.Marshal(&req); err != nil {
			return err
		}
	}
	cc := make([]*grpc.ClientConn, *conns)
	for i := range cc {
		if cc[i], err = grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}))); err != nil {
			return err
		}
		defer cc[i].Close()
	}
	var next, missed atomic.Uint64
	var measuring, stop atomic.Bool
	type result struct {
		lat            []time.Duration
		allow, deny, e int
	}
	results := make([]result, *conc)
	// Open loop: a pacer hands out scheduled start times; a call that waits for a free stream
	// is timed from its schedule, so queueing shows in the latency (no coordinated omission).
	var tickets chan time.Time
	if *rate > 0 {
		tickets = make(chan time.Time, *conc*4)
		go func() {
			defer close(tickets)
			begin := time.Now()
			sent := 0
			for !stop.Load() {
				due := int(time.Since(begin).Seconds() * *rate)
				for ; sent < due; sent++ {
					at := begin.Add(time.Duration(float64(sent) / *rate * float64(time.Second)))
					select {
					case tickets <- at:
					default: // every stream busy and the backlog full: drop (counted as missed)
						missed.Add(1)
					}
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			conn := cc[w%len(cc)]
			r := &results[w]
			r.lat = make([]time.Duration, 0, 4096)
			var resp []byte
			for !stop.Load() {
				t := time.Now()
				if tickets != nil {
					var ok bool
					if t, ok = <-tickets; !ok {
						return
					}
				}
				req := msgs[next.Add(1)%uint64(len(msgs))]
				err := conn.Invoke(context.Background(), "/envoy.service.auth.v3.Authorization/Check", &req, &resp)
				d := time.Since(t)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					r.e++
					continue
				}
				r.lat = append(r.lat, d)
				if ok, _ := allowed(resp); ok {
					r.allow++
				} else {
					r.deny++
				}
			}
		})
	}
	span, elapsed, err := measureWindow(*warm, *dur, time.Sleep, procCPU(*serverPid, *clkTck), measuring.Store)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		return err
	}
	var all []time.Duration
	var allow, deny, errs int
	for _, r := range results {
		all = append(all, r.lat...)
		allow += r.allow
		deny += r.deny
		errs += r.e
	}
	slices.Sort(all)
	n := len(all)
	mode := "closed loop"
	if *rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f/s, %d starts dropped for want of a free stream", *rate, missed.Load())
	}
	fmt.Printf("grpcload (%s, %d streams over %d connections): %d calls in %.1fs (%d allowed, %d denied, %d errors)\n",
		mode, *conc, *conns, n, elapsed.Seconds(), allow, deny, errs)
	if *cpuOut != "" {
		if err := writeCPU(*cpuOut, span); err != nil {
			return err
		}
	}
	if *out == "" {
		return nil
	}
	type detail struct {
		Latency time.Duration `json:"latency"`
		Error   string        `json:"error"`
	}
	ds := make([]detail, n)
	for i, l := range all {
		ds[i] = detail{Latency: l}
	}
	return writeJSON(*out, map[string]any{"count": n, "total": elapsed, "rps": float64(n) / elapsed.Seconds(), "details": ds})
}
