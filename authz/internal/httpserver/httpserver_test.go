package httpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/httpserver"
	"eco2/authz/internal/metrics"
	"eco2/authz/internal/testkit"
)

// check sends a request the way Envoy's HTTP ext_authz does: original method and headers, path
// /check + original path.
func check(t *testing.T, base, method, path string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+httpserver.CheckPrefix+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func outcome(resp *http.Response, body []byte) testkit.Outcome {
	o := testkit.Outcome{Status: resp.StatusCode, Headers: map[string]string{}, Set: map[string]string{}}
	if resp.StatusCode != 200 {
		o.Body = body
		for k := range resp.Header {
			o.Headers[strings.ToLower(k)] = resp.Header.Get(k)
		}
		return o
	}
	for _, h := range decision.IdentityHeaders {
		if v := resp.Header.Get(h); v != "" {
			o.Set[h] = v
		}
	}
	for _, h := range strings.Split(resp.Header.Get(httpserver.HeadersToRemove), ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.Removed = append(o.Removed, h)
		}
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		o.Headers["access-control-allow-origin"] = v
	}
	return o
}

func TestTable(t *testing.T) {
	for _, g := range testkit.Table(t) {
		t.Run(g.Name, func(t *testing.T) {
			srv := httptest.NewServer(httpserver.New(g.Engine))
			defer srv.Close()
			for _, c := range g.Cases {
				t.Run(c.Name, func(t *testing.T) {
					resp, body := check(t, srv.URL, c.Method, c.Path, c.Headers)
					c.Assert(t, outcome(resp, body))
				})
			}
		})
	}
}

func TestRouting(t *testing.T) {
	f := testkit.NewFixture(t, testkit.Fresh)
	ready := true
	srv := httptest.NewServer(httpserver.New(f.Engine, httpserver.WithReadiness(func() (bool, []string) {
		if ready {
			return true, nil
		}
		return false, []string{"revocation state stale"}
	})))
	defer srv.Close()
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if st, _ := get("/healthz"); st != 200 {
		t.Fatalf("/healthz = %d", st)
	}
	if st, _ := get("/readyz"); st != 200 {
		t.Fatalf("/readyz = %d", st)
	}
	ready = false
	if st, v := get("/readyz"); st != 503 || v["reasons"] == nil {
		t.Fatalf("/readyz not ready = %d %v", st, v)
	}
	if st, _ := get("/checkout"); st != 404 {
		t.Fatalf("/checkout = %d, want 404 (not a check)", st)
	}
	// "/check" alone and "/check?x" check the root path.
	if st, _ := get("/check"); st != 401 {
		t.Fatalf("/check = %d, want 401 for / without a token", st)
	}
	if st, _ := get("/check/health"); st != 200 {
		t.Fatalf("/check/health = %d, want 200 (public)", st)
	}
}

// Several Cookie headers (HTTP/2 splits them) are joined before the access cookie is read.
func TestSplitCookieHeaders(t *testing.T) {
	f := testkit.NewFixture(t, testkit.Fresh)
	srv := httptest.NewServer(httpserver.New(f.Engine))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/check/api/v1/users/me", nil)
	req.Header.Add("Cookie", "theme=dark")
	req.Header.Add("Cookie", "s_access="+f.Key.Sign(testkit.Access(f.Now)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-User-Id") != testkit.Subject {
		t.Fatalf("split cookies: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestMetricsCountDecisions(t *testing.T) {
	f := testkit.NewFixture(t, testkit.Fresh)
	m := metrics.New()
	srv := httptest.NewServer(httpserver.New(f.Engine, httpserver.WithMetrics(m)))
	defer srv.Close()
	check(t, srv.URL, "GET", "/api/v1/users/me", map[string]string{"Authorization": "Bearer " + f.Key.Sign(testkit.Access(f.Now))})
	check(t, srv.URL, "OPTIONS", "/api/v1/users/me", nil)
	if got := testkit.CounterValue(t, m, "authz_decisions_total", map[string]string{"server": "http", "reason": "allow"}); got != 1 {
		t.Fatalf("allow = %v", got)
	}
	if got := testkit.CounterValue(t, m, "authz_decisions_total", map[string]string{"server": "http", "reason": "allow_preflight"}); got != 1 {
		t.Fatalf("allow_preflight = %v", got)
	}
	if got := testkit.CounterValue(t, m, "authz_decision_duration_seconds", map[string]string{"server": "http"}); got != 2 {
		t.Fatalf("latency samples = %v", got)
	}
}
