// Package metrics exposes the authz's Prometheus metrics: decisions by server and reason,
// decision latency, revocation set size, revocation lag and staleness, JWKS and sync results.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"eco2/authz/internal/decision"
)

// Server names used as the "server" label.
const (
	ServerGRPC = "grpc"
	ServerHTTP = "http"
)

// RevocationState is what the revocation gauges read.
type RevocationState interface {
	Len() int
	Lag(now time.Time) time.Duration
	Age(now time.Time) time.Duration
	Fresh(now time.Time) bool
}

// Metrics holds the collectors. Its methods are safe for concurrent use.
type Metrics struct {
	reg       *prometheus.Registry
	decisions map[string][]prometheus.Counter
	latency   map[string]prometheus.Observer
	syncs     *prometheus.CounterVec
	updates   prometheus.Counter
	live      prometheus.Gauge
	jwks      *prometheus.CounterVec
}

// Option configures Metrics.
type Option func(*options)

type options struct {
	revocations RevocationState
	jwksKeys    func() int
	cacheLen    func() int
	now         func() time.Time
}

// WithRevocationState registers the revocation gauges over s.
func WithRevocationState(s RevocationState) Option { return func(o *options) { o.revocations = s } }

// WithJWKSKeys registers a gauge of the number of JWKS keys held.
func WithJWKSKeys(f func() int) Option { return func(o *options) { o.jwksKeys = f } }

// WithVerifyCacheLen registers a gauge of the verified-token cache size.
func WithVerifyCacheLen(f func() int) Option { return func(o *options) { o.cacheLen = f } }

// New registers every collector on a fresh registry (with the Go and process collectors).
func New(opts ...Option) *Metrics {
	o := options{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authz_decisions_total",
		Help: "Authorization decisions by server (grpc|http) and reason.",
	}, []string{"server", "reason"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authz_decision_duration_seconds",
		Help:    "Time to decide one check, by server.",
		Buckets: []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2},
	}, []string{"server"})
	m := &Metrics{
		reg:       reg,
		decisions: map[string][]prometheus.Counter{},
		latency:   map[string]prometheus.Observer{},
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authz_revocation_syncs_total",
			Help: "Full revocation syncs by result (ok|error).",
		}, []string{"result"}),
		updates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authz_revocation_updates_total",
			Help: "Live revocation updates applied (Pub/Sub messages or SSE events).",
		}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "authz_revocation_feed_up",
			Help: "1 while the live revocation feed (Pub/Sub subscription or SSE stream) is up.",
		}),
		jwks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authz_jwks_fetches_total",
			Help: "JWKS fetches by result (ok|error).",
		}, []string{"result"}),
	}
	for _, srv := range []string{ServerGRPC, ServerHTTP} {
		for _, r := range decision.Reasons() {
			m.decisions[srv] = append(m.decisions[srv], decisions.WithLabelValues(srv, r.String()))
		}
		m.latency[srv] = latency.WithLabelValues(srv)
	}
	reg.MustRegister(decisions, latency, m.syncs, m.updates, m.live, m.jwks)
	if s := o.revocations; s != nil {
		now := o.now
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "authz_revocation_set_size",
				Help: "Entries (jti + sid) in the in-memory revocation set.",
			}, func() float64 { return float64(s.Len()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "authz_revocation_lag_seconds",
				Help: "Now minus the time of the last applied revocation update or sync (-1: never).",
			}, func() float64 { return seconds(s.Lag(now())) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "authz_revocation_staleness_seconds",
				Help: "Now minus the last successful sync or live-feed proof (-1: never bootstrapped).",
			}, func() float64 { return seconds(s.Age(now())) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "authz_revocation_stale",
				Help: "1 when the revocation state is unknown or stale (checks answer 503).",
			}, func() float64 {
				if s.Fresh(now()) {
					return 0
				}
				return 1
			}),
		)
	}
	if f := o.jwksKeys; f != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authz_jwks_keys",
			Help: "Keys currently held from the JWKS.",
		}, func() float64 { return float64(f()) }))
	}
	if f := o.cacheLen; f != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authz_verify_cache_entries",
			Help: "Verified tokens remembered (signature checks skipped on reuse).",
		}, func() float64 { return float64(f()) }))
	}
	return m
}

func seconds(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}

// Observe records one decision. Safe on a nil *Metrics.
func (m *Metrics) Observe(server string, r decision.Reason, d time.Duration) {
	if m == nil {
		return
	}
	m.decisions[server][r].Inc()
	m.latency[server].Observe(d.Seconds())
}

// Sync records a full revocation sync.
func (m *Metrics) Sync(ok bool, _ time.Duration) {
	if m != nil {
		m.syncs.WithLabelValues(result(ok)).Inc()
	}
}

// Update records one live revocation update.
func (m *Metrics) Update() {
	if m != nil {
		m.updates.Inc()
	}
}

// Live records the live feed going up or down.
func (m *Metrics) Live(up bool) {
	if m == nil {
		return
	}
	if up {
		m.live.Set(1)
	} else {
		m.live.Set(0)
	}
}

// JWKSFetch records a JWKS fetch.
func (m *Metrics) JWKSFetch(ok bool) {
	if m != nil {
		m.jwks.WithLabelValues(result(ok)).Inc()
	}
}

func result(ok bool) string {
	if ok {
		return "ok"
	}
	return "error"
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the underlying registry (tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
