package grpcserver_test

import (
	"context"
	"fmt"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/testkit"
)

func realisticRequest(tok string) *authv3.CheckRequest {
	return checkRequest("GET", "/api/v1/users/me", map[string]string{
		"cookie":          "theme=light; s_access=" + tok + "; s_refresh=b3BhcXVlLXJlZnJlc2gtdG9rZW4",
		"user-agent":      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"accept":          "application/json, text/plain, */*",
		"accept-language": "ko-KR,ko;q=0.9,en-US;q=0.8",
		"origin":          testkit.AllowedOrigin,
		"x-forwarded-for": "203.0.113.7",
		"x-request-id":    testkit.NewID(),
		"x-user-id":       "spoofed",
	})
}

// BenchmarkDecide is the decision alone (verified-token cache warm).
func BenchmarkDecide(b *testing.B) {
	f := testkit.NewFixture(b, testkit.Fresh)
	h := decision.MapHeaders(realisticRequest(f.Key.Sign(testkit.Access(f.Now))).GetAttributes().GetRequest().GetHttp().GetHeaders())
	req := decision.Request{Method: "GET", Path: "/api/v1/users/me", Headers: h}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := f.Engine.Decide(context.Background(), req); r.Reason != decision.Allow {
				b.Fatal(r.Reason)
			}
		}
	})
}

// BenchmarkCheck is one Check over a real gRPC connection on loopback, 64 concurrent callers
// per CPU, 1,000 distinct tokens.
func BenchmarkCheck(b *testing.B) {
	f := testkit.NewFixture(b, testkit.Fresh)
	client := serve(b, f.Engine, nil)
	reqs := make([]*authv3.CheckRequest, 1000)
	for i := range reqs {
		reqs[i] = realisticRequest(f.Key.Sign(testkit.Access(f.Now)))
	}
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	b.RunParallel(func(pb *testing.PB) {
		i := n
		n++
		for pb.Next() {
			i++
			resp, err := client.Check(context.Background(), reqs[i%len(reqs)])
			if err != nil || resp.GetOkResponse() == nil {
				panic(fmt.Sprint(err, resp))
			}
		}
	})
}
