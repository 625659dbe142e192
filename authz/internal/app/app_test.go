package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"eco2/authz/internal/app"
	"eco2/authz/internal/config"
	"eco2/authz/internal/revocation"
	"eco2/authz/internal/testkit"
)

// The wired binary end to end: JWKS over HTTP, revocations from a real Redis (through a proxy
// the test can cut), gRPC and HTTP checks, readiness and metrics.
func TestEndToEndRedis(t *testing.T) {
	rc, prefix := testkit.Redis(t)
	opt, _ := redis.ParseURL(testkit.RedisURL())
	proxy := testkit.NewProxy(t, opt.Addr)
	key := testkit.NewKey(t, "k1")
	jwksSrv := testkit.NewJWKSServer(t, key)
	cfg, err := config.Parse([]string{
		"-grpc-addr", "localhost:0", "-http-addr", "localhost:0", "-metrics-addr", "localhost:0",
		"-jwks-url", jwksSrv.URL(), "-redis-url", "redis://" + proxy.Addr() + "/0", "-redis-prefix", prefix,
		"-stale-after", "600ms", "-resync-every", "100ms", "-allowed-origins", testkit.AllowedOrigin,
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	base := "http://" + a.HTTPAddr()
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	testkit.Eventually(t, 10*time.Second, "/readyz 200", func() bool { return status("/readyz") == 200 })
	if status("/healthz") != 200 {
		t.Fatal("/healthz")
	}

	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	claims := testkit.Access(time.Now())
	tok := key.Sign(claims)
	grpcStatus := func() int {
		resp, err := client.Check(context.Background(), &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/api/v1/users/me", Headers: map[string]string{"cookie": "s_access=" + tok}},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		if d := resp.GetDeniedResponse(); d != nil {
			return int(d.GetStatus().GetCode())
		}
		return 200
	}
	// check asks the HTTP mode about method + path with tok and a spoofed x-operator; it
	// returns the status, the denial code and the x-operator set upstream.
	check := func(method, path, tok string) (int, string, string) {
		req, _ := http.NewRequest(method, base+"/check"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Operator", "operator:mallory")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Code string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Code, resp.Header.Get("X-Operator")
	}
	httpCheck := func() (int, string) {
		st, code, _ := check("GET", "/api/v1/users/me", tok)
		return st, code
	}
	if st := grpcStatus(); st != 200 {
		t.Fatalf("gRPC check = %d", st)
	}
	if st, _ := httpCheck(); st != 200 {
		t.Fatalf("HTTP check = %d", st)
	}

	// Operator paths: a user token gets 404, an operator token passes with x-operator.
	adminCheck := func(tok string) (int, string, string) { return check("POST", "/admin/dead-letters/replay", tok) }
	if st, code, _ := adminCheck(tok); st != 404 || code != "NOT_FOUND" {
		t.Fatalf("admin path with a user token = %d %s, want 404 NOT_FOUND", st, code)
	}
	if st, _, who := adminCheck(key.Sign(testkit.Operator(time.Now()))); st != 200 || who != testkit.OperatorSubject {
		t.Fatalf("admin path with an operator token = %d x-operator=%q", st, who)
	}

	// Outage: both servers fail closed with 503 and readiness drops; then they recover.
	proxy.Cut()
	testkit.Eventually(t, 5*time.Second, "503 during the outage", func() bool { st, code := httpCheck(); return st == 503 && code == "AUTHZ_UNAVAILABLE" })
	if st := grpcStatus(); st != 503 {
		t.Fatalf("gRPC during outage = %d", st)
	}
	if status("/readyz") != 503 {
		t.Fatal("/readyz during outage")
	}
	proxy.Restore()
	testkit.Eventually(t, 10*time.Second, "200 after recovery", func() bool { st, _ := httpCheck(); return st == 200 })

	// Logout: ZADD + PUBLISH as the auth functions do; both servers deny at once.
	key2, channel := revocation.Keys(prefix)
	e := revocation.Entry{Kind: revocation.KindSID, Value: claims["sid"].(string), Exp: time.Now().Add(time.Hour).Unix()}
	msg, _ := json.Marshal(e)
	rc.ZAdd(context.Background(), key2, redis.Z{Score: float64(e.Exp), Member: e.Member()})
	rc.Publish(context.Background(), channel, msg)
	testkit.Eventually(t, 2*time.Second, "revoked on HTTP", func() bool { _, code := httpCheck(); return code == "TOKEN_REVOKED" })
	if st := grpcStatus(); st != 401 {
		t.Fatalf("gRPC after revocation = %d", st)
	}

	resp, err := http.Get("http://" + a.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`authz_decisions_total{reason="allow",server="grpc"}`,
		`authz_decisions_total{reason="token_revoked",server="http"}`,
		`authz_decisions_total{reason="unavailable",server="http"}`,
		`authz_decisions_total{reason="not_operator",server="http"} 1`,
		"authz_revocation_set_size 1", "authz_revocation_lag_seconds", "authz_revocation_stale 0",
		"authz_decision_duration_seconds_bucket", "authz_jwks_keys 1", `authz_revocation_syncs_total{result="ok"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Embedded mode: the same binary on the HTTP revocation source.
func TestEndToEndHTTPSourceNotReadyWithoutMesh(t *testing.T) {
	key := testkit.NewKey(t, "k1")
	jwksSrv := testkit.NewJWKSServer(t, key)
	cfg, err := config.Parse([]string{
		"-grpc-addr", "", "-http-addr", "localhost:0", "-metrics-addr", "",
		"-jwks-url", jwksSrv.URL(), "-revocations-url", "http://127.0.0.1:1/internal/auth/revocations",
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + a.HTTPAddr()
	testkit.Eventually(t, 5*time.Second, "JWKS loaded", func() bool { ok, why := a.Ready(); return !ok && len(why) == 1 })
	req, _ := http.NewRequest("GET", base+"/check/api/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+key.Sign(testkit.Access(time.Now())))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("check without revocation state = %d, want 503", resp.StatusCode)
	}
	r2, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 503 {
		t.Fatalf("/readyz = %d", r2.StatusCode)
	}
}
