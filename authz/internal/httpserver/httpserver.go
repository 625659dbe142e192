// Package httpserver serves the decision in Envoy's ext_authz HTTP-service mode, plus the
// liveness and readiness probes. A check is any method on /check/<original path> with the
// original headers: 200 (identity in x-user-id / x-auth-provider, and x-operator on operator
// paths, as response headers; x-envoy-auth-headers-to-remove names those not set) allows;
// any other answer is meant to be returned to the client as is.
package httpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/metrics"
)

// CheckPrefix is the path prefix of checks.
const CheckPrefix = "/check"

// HeadersToRemove is Envoy's ext_authz HTTP response header naming request headers to remove
// upstream.
const HeadersToRemove = "x-envoy-auth-headers-to-remove"

// Decider is the decision engine.
type Decider interface {
	Decide(ctx context.Context, req decision.Request) decision.Result
}

// ReadyFunc reports readiness and, when not ready, why.
type ReadyFunc func() (bool, []string)

// Handler is the HTTP mode handler.
type Handler struct {
	decider Decider
	metrics *metrics.Metrics
	ready   ReadyFunc
	log     *slog.Logger
}

// Option configures a Handler.
type Option func(*Handler)

// WithMetrics records decisions.
func WithMetrics(m *metrics.Metrics) Option { return func(h *Handler) { h.metrics = m } }

// WithReadiness sets the readiness check behind /readyz (default: always ready).
func WithReadiness(f ReadyFunc) Option { return func(h *Handler) { h.ready = f } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// New returns the handler.
func New(d Decider, opts ...Option) *Handler {
	h := &Handler{decider: d, ready: func() (bool, []string) { return true, nil }, log: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	return h
}

// ServeHTTP routes /check…, /healthz and /readyz. The router is hand-written on purpose: the
// original path must reach the decision exactly as sent (no cleaning, no redirects).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := r.RequestURI
	if rest, ok := strings.CutPrefix(uri, CheckPrefix); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
		if rest == "" || rest[0] == '?' {
			rest = "/" + rest
		}
		h.check(w, r, rest)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	case "/readyz":
		if ok, why := h.ready(); ok {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
		} else {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reasons": why})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not found", "code": "NOT_FOUND"})
	}
}

type httpHeaders http.Header

// Get implements decision.Headers for lower-case names; several Cookie headers are joined.
func (hh httpHeaders) Get(name string) string {
	vs := http.Header(hh).Values(name)
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	if name == decision.HeaderCookie {
		return strings.Join(vs, "; ")
	}
	return vs[0]
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request, path string) {
	start := time.Now()
	res := h.decider.Decide(r.Context(), decision.Request{Method: r.Method, Path: path, Headers: httpHeaders(r.Header)})
	h.metrics.Observe(metrics.ServerHTTP, res.Reason, time.Since(start))
	WriteResult(w, res)
	if !res.Reason.Allowed() && h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.Debug("denied", "server", "http", "reason", res.Reason.String(), "method", r.Method, "path", path)
	}
}

// The x-envoy-auth-headers-to-remove values, built once (the header map keeps the slices).
var (
	removeIdentity            = []string{strings.Join(decision.IdentityHeaders, ",")}
	removeProvider            = []string{decision.HeaderAuthProvider}
	removeOperator            = []string{decision.HeaderOperator}
	removeProviderAndOperator = []string{decision.HeaderAuthProvider + "," + decision.HeaderOperator}
)

// WriteResult writes a decision in the HTTP mode's form.
func WriteResult(w http.ResponseWriter, res decision.Result) {
	hd := w.Header()
	hd["Cache-Control"] = []string{"no-store"}
	switch res.Reason {
	case decision.Allow:
		hd[http.CanonicalHeaderKey(decision.HeaderUserID)] = []string{res.UserID}
		if res.Provider != "" {
			hd[http.CanonicalHeaderKey(decision.HeaderAuthProvider)] = []string{res.Provider}
		}
		if res.Operator != "" {
			hd[http.CanonicalHeaderKey(decision.HeaderOperator)] = []string{res.Operator}
		}
		switch {
		case res.Provider == "" && res.Operator == "":
			hd[http.CanonicalHeaderKey(HeadersToRemove)] = removeProviderAndOperator
		case res.Provider == "":
			hd[http.CanonicalHeaderKey(HeadersToRemove)] = removeProvider
		case res.Operator == "":
			hd[http.CanonicalHeaderKey(HeadersToRemove)] = removeOperator
		}
		w.WriteHeader(http.StatusOK)
		return
	case decision.AllowPublic, decision.AllowPreflight:
		hd[http.CanonicalHeaderKey(HeadersToRemove)] = removeIdentity
		w.WriteHeader(http.StatusOK)
		return
	}
	hd["Content-Type"] = []string{"application/json"}
	if res.CORSOrigin != "" {
		hd["Access-Control-Allow-Origin"] = []string{res.CORSOrigin}
		hd["Access-Control-Allow-Credentials"] = []string{"true"}
		hd["Vary"] = []string{"Origin"}
	}
	w.WriteHeader(res.Reason.Status())
	_, _ = w.Write(res.Reason.Body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
