package grpcserver_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/grpcserver"
	"eco2/authz/internal/metrics"
	"eco2/authz/internal/testkit"
)

// serve starts the Authorization service (fast path) on localhost:0 and returns a real client.
func serve(t testing.TB, d grpcserver.Decider, m *metrics.Metrics) authv3.AuthorizationClient {
	return serveWith(t, d, m, false)
}

// serveWith starts the fast path, or with standard=true the generated full-decoding handler.
func serveWith(t testing.TB, d grpcserver.Decider, m *metrics.Metrics, standard bool) authv3.AuthorizationClient {
	t.Helper()
	ln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	var s *grpc.Server
	if standard {
		s = grpc.NewServer()
		grpcserver.New(d, grpcserver.WithMetrics(m)).RegisterStandard(s)
	} else {
		s = grpcserver.NewGRPCServer()
		grpcserver.New(d, grpcserver.WithMetrics(m)).Register(s)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return authv3.NewAuthorizationClient(conn)
}

func checkRequest(method, path string, headers map[string]string) *authv3.CheckRequest {
	h := map[string]string{":method": method, ":path": path, ":authority": "api.eco2.example"}
	for k, v := range headers {
		h[k] = v
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: method, Path: path, Host: "api.eco2.example", Headers: h, Protocol: "HTTP/1.1"},
	}}}
}

// Outcome normalises a CheckResponse for the shared table.
func outcome(t *testing.T, resp *authv3.CheckResponse) testkit.Outcome {
	t.Helper()
	o := testkit.Outcome{Headers: map[string]string{}, Set: map[string]string{}}
	if ok := resp.GetOkResponse(); ok != nil {
		if resp.GetStatus().GetCode() != int32(codes.OK) {
			t.Fatalf("ok_response with status %v", resp.GetStatus())
		}
		o.Status = 200
		for _, h := range ok.GetHeaders() {
			// Envoy applies append_action when the deprecated append is unset, and its default
			// (APPEND_IF_EXISTS_OR_ADD) would keep a spoofed value next to ours.
			if h.GetAppend() != nil || h.GetAppendAction() != corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD {
				t.Fatalf("upstream header %s is not overwritten: append=%v append_action=%v", h.GetHeader().GetKey(), h.GetAppend(), h.GetAppendAction())
			}
			o.Set[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
		}
		o.Removed = ok.GetHeadersToRemove()
		for _, h := range ok.GetResponseHeadersToAdd() {
			o.Headers[strings.ToLower(h.GetHeader().GetKey())] = h.GetHeader().GetValue()
		}
		return o
	}
	d := resp.GetDeniedResponse()
	if d == nil {
		t.Fatalf("neither ok nor denied response: %v", resp)
	}
	if resp.GetStatus().GetCode() == int32(codes.OK) {
		t.Fatalf("denied_response with an OK status")
	}
	o.Status = int(d.GetStatus().GetCode())
	o.Body = []byte(d.GetBody())
	for _, h := range d.GetHeaders() {
		o.Headers[strings.ToLower(h.GetHeader().GetKey())] = h.GetHeader().GetValue()
	}
	return o
}

func TestTable(t *testing.T) {
	for _, path := range []string{"fast", "standard"} {
		t.Run(path, func(t *testing.T) { runTable(t, path == "standard") })
	}
}

func runTable(t *testing.T, standard bool) {
	for _, g := range testkit.Table(t) {
		t.Run(g.Name, func(t *testing.T) {
			client := serveWith(t, g.Engine, nil, standard)
			for _, c := range g.Cases {
				t.Run(c.Name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					resp, err := client.Check(ctx, checkRequest(c.Method, c.Path, c.Headers))
					if err != nil {
						t.Fatal(err)
					}
					c.Assert(t, outcome(t, resp))
				})
			}
		})
	}
}

// Envoy may send headers in header_map (encode_raw_headers) instead of the map form.
func TestRawHeaderMap(t *testing.T) {
	f := testkit.NewFixture(t, testkit.Fresh)
	for _, standard := range []bool{false, true} {
		client := serveWith(t, f.Engine, nil, standard)
		checkRawHeaderMap(t, f, client)
	}
}

func checkRawHeaderMap(t *testing.T, f *testkit.Fixture, client authv3.AuthorizationClient) {
	tok := f.Key.Sign(testkit.Access(f.Now))
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/api/v1/users/me", HeaderMap: headerMap(map[string]string{
			"cookie": "s_access=" + tok, "x-user-id": "attacker",
		})},
	}}}
	resp, err := client.Check(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome(t, resp)
	if o.Status != 200 || o.Set[decision.HeaderUserID] != testkit.Subject {
		t.Fatalf("raw header map: %+v", o)
	}
}

func TestMetricsCountDecisions(t *testing.T) {
	f := testkit.NewFixture(t, testkit.Fresh)
	m := metrics.New()
	client := serve(t, f.Engine, m)
	for range 3 {
		if _, err := client.Check(context.Background(), checkRequest("GET", "/api/v1/users/me", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if got := testkit.CounterValue(t, m, "authz_decisions_total", map[string]string{"server": "grpc", "reason": "token_missing"}); got != 3 {
		t.Fatalf("token_missing count = %v, want 3", got)
	}
}
