// Package app wires the authz from a Config: JWKS cache, verifier, revocation set and source,
// decision engine, the gRPC and HTTP servers and the metrics endpoint.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"eco2/authz/internal/config"
	"eco2/authz/internal/decision"
	"eco2/authz/internal/grpcserver"
	"eco2/authz/internal/httpserver"
	"eco2/authz/internal/jwks"
	"eco2/authz/internal/metrics"
	"eco2/authz/internal/revocation"
	"eco2/authz/internal/verify"
)

// App is a wired, listening authz.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	keys    *jwks.Cache
	set     *revocation.Set
	source  revocation.Source
	redis   redis.UniversalClient
	metrics *metrics.Metrics

	grpcLn, httpLn, metricsLn net.Listener
	grpcSrv                   *grpc.Server
	httpSrv, metricsSrv       *http.Server
}

// New builds the authz and binds its listeners (so ":0" addresses are known before Run).
func New(cfg config.Config, log *slog.Logger) (a *App, err error) {
	a = &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.closeListeners()
		}
	}()
	var m *metrics.Metrics
	a.keys = jwks.New(cfg.JWKSURL,
		jwks.WithRefreshEvery(cfg.JWKSRefresh),
		jwks.WithMinRefetchInterval(cfg.JWKSMinRefetch),
		jwks.WithLogger(log),
		jwks.WithFetchHook(func(ok bool) { m.JWKSFetch(ok) }))
	verifier := verify.New(a.keys, cfg.Issuer, cfg.Audience,
		verify.WithLeeway(cfg.Leeway), verify.WithCacheSize(cfg.VerifyCacheSize))
	a.set = revocation.NewSet(revocation.WithStaleAfter(cfg.StaleAfter), revocation.WithRetention(cfg.Leeway))
	m = metrics.New(
		metrics.WithRevocationState(a.set),
		metrics.WithJWKSKeys(a.keys.Len),
		metrics.WithVerifyCacheLen(verifier.CacheLen))
	a.metrics = m
	hooks := revocation.Hooks{Sync: m.Sync, Update: m.Update, Live: m.Live}
	if cfg.RedisURL != "" {
		client, err := redisClient(cfg.RedisURL, cfg.RedisCluster)
		if err != nil {
			return nil, err
		}
		a.redis = client
		a.source = revocation.NewRedisSource(a.redis, cfg.RedisPrefix, a.set,
			revocation.WithRedisResyncEvery(cfg.ResyncEvery),
			revocation.WithRedisPingEvery(min(5*time.Second, cfg.StaleAfter/3)),
			revocation.WithRedisLogger(log), revocation.WithRedisHooks(hooks))
	} else {
		src, err := revocation.NewHTTPSource(cfg.RevocationsURL, a.set,
			revocation.WithHTTPResyncEvery(cfg.ResyncEvery),
			revocation.WithHTTPLogger(log), revocation.WithHTTPHooks(hooks))
		if err != nil {
			return nil, err
		}
		a.source = src
	}
	engine := decision.New(verifier, a.set,
		decision.WithAllowedOrigins(cfg.AllowedOrigins...),
		decision.WithPublicPrefixes(cfg.PublicPrefixes...),
		decision.WithAdminPrefix(cfg.AdminPrefix))

	if cfg.GRPCAddr != "" {
		if a.grpcLn, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
			return nil, err
		}
		a.grpcSrv = grpcserver.NewGRPCServer(
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
			grpc.SharedWriteBuffer(true),
			grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		)
		grpcserver.New(engine, grpcserver.WithMetrics(m), grpcserver.WithLogger(log)).Register(a.grpcSrv)
	}
	if cfg.HTTPAddr != "" {
		if a.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, err
		}
		h := httpserver.New(engine, httpserver.WithMetrics(m), httpserver.WithLogger(log), httpserver.WithReadiness(a.Ready))
		a.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	}
	if cfg.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", m.Handler())
		if cfg.Pprof {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	return a, nil
}

func (a *App) closeListeners() {
	for _, l := range []net.Listener{a.grpcLn, a.httpLn, a.metricsLn} {
		if l != nil {
			_ = l.Close()
		}
	}
}

func addr(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// GRPCAddr is the bound gRPC address ("" when off).
func (a *App) GRPCAddr() string { return addr(a.grpcLn) }

// HTTPAddr is the bound HTTP address ("" when off).
func (a *App) HTTPAddr() string { return addr(a.httpLn) }

// MetricsAddr is the bound metrics address ("" when off).
func (a *App) MetricsAddr() string { return addr(a.metricsLn) }

// Ready reports readiness: JWKS loaded and revocation state fresh.
func (a *App) Ready() (bool, []string) {
	var why []string
	if !a.keys.Loaded() {
		why = append(why, "jwks not loaded")
	}
	if !a.set.Bootstrapped() {
		why = append(why, "revocation state not bootstrapped")
	} else if !a.set.Fresh(time.Now()) {
		why = append(why, "revocation state stale")
	}
	return len(why) == 0, why
}

// Run serves until ctx is done, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	a.log.Info("authz starting",
		"grpc", a.GRPCAddr(), "http", a.HTTPAddr(), "metrics", a.MetricsAddr(),
		"jwks_url", a.cfg.JWKSURL, "issuer", a.cfg.Issuer, "audience", a.cfg.Audience,
		"revocations", a.revocationsDesc(), "stale_after", a.cfg.StaleAfter.String(),
		"resync_every", a.cfg.ResyncEvery.String(), "allowed_origins", a.cfg.AllowedOrigins,
		"public_prefixes", a.cfg.PublicPrefixes, "admin_prefix", a.cfg.AdminPrefix)
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { a.keys.Run(bg) })
	wg.Go(func() { a.source.Run(bg) })

	errc := make(chan error, 3)
	if a.grpcSrv != nil {
		go func() { errc <- a.grpcSrv.Serve(a.grpcLn) }()
	}
	if a.httpSrv != nil {
		go func() { errc <- a.httpSrv.Serve(a.httpLn) }()
	}
	if a.metricsSrv != nil {
		go func() { errc <- a.metricsSrv.Serve(a.metricsLn) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		a.log.Error("server failed", "err", err)
	}
	a.log.Info("authz stopping")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if a.grpcSrv != nil {
		done := make(chan struct{})
		go func() { a.grpcSrv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-shutdownCtx.Done():
			a.grpcSrv.Stop()
		}
	}
	for _, s := range []*http.Server{a.httpSrv, a.metricsSrv} {
		if s != nil {
			_ = s.Shutdown(shutdownCtx)
		}
	}
	stop()
	wg.Wait()
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	return err
}

func (a *App) revocationsDesc() string {
	if a.cfg.RedisURL != "" {
		key, ch := revocation.Keys(a.cfg.RedisPrefix)
		return "redis " + redactURL(a.cfg.RedisURL) + " key=" + key + " channel=" + ch
	}
	return "http " + a.cfg.RevocationsURL
}

// redisClient is one server's client, or a Redis Cluster's (the URL names any of its nodes).
func redisClient(url string, cluster bool) (redis.UniversalClient, error) {
	if cluster {
		opt, err := redis.ParseClusterURL(url)
		if err != nil {
			return nil, fmt.Errorf("redis cluster url: %w", err)
		}
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	return redis.NewClient(opt), nil
}
