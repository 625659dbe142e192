// Package config reads the authz's settings from flags, with environment fallbacks.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Config is every setting.
type Config struct {
	GRPCAddr    string
	HTTPAddr    string
	MetricsAddr string

	JWKSURL        string
	JWKSRefresh    time.Duration
	JWKSMinRefetch time.Duration
	Issuer         string
	Audience       string
	Leeway         time.Duration

	RedisURL       string
	RedisPrefix    string
	RedisCluster   bool
	RevocationsURL string
	StaleAfter     time.Duration
	ResyncEvery    time.Duration

	AllowedOrigins  []string
	PublicPrefixes  []string
	AdminPrefix     string
	VerifyCacheSize int
	LogLevel        string
	Pprof           bool
}

type listFlag struct{ v *[]string }

func (l listFlag) String() string {
	if l.v == nil {
		return ""
	}
	return strings.Join(*l.v, ",")
}

func (l listFlag) Set(s string) error {
	*l.v = append(*l.v, splitList(s)...)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Parse reads args (without the program name). A flag wins over its environment variables,
// which win over the default; the first non-empty variable of each list is used.
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	var c Config
	var errs []error
	env := func(def string, names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return def
	}
	dur := func(def time.Duration, names ...string) time.Duration {
		v := env("", names...)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", names[0], err))
			return def
		}
		return d
	}
	fs := flag.NewFlagSet("authz", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&c.GRPCAddr, "grpc-addr", env("127.0.0.1:9000", "AUTHZ_GRPC_ADDR"), "ext_authz gRPC listen address (empty: off) [AUTHZ_GRPC_ADDR]")
	fs.StringVar(&c.HTTPAddr, "http-addr", env("127.0.0.1:9001", "AUTHZ_HTTP_ADDR"), "ext_authz HTTP mode + /healthz + /readyz listen address (empty: off) [AUTHZ_HTTP_ADDR]")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("127.0.0.1:9002", "AUTHZ_METRICS_ADDR"), "Prometheus /metrics listen address (empty: off) [AUTHZ_METRICS_ADDR]")
	fs.StringVar(&c.JWKSURL, "jwks-url", env("", "AUTHZ_JWKS_URL"), "JWKS URL, e.g. http://127.0.0.1:8000/api/v1/auth/.well-known/jwks.json [AUTHZ_JWKS_URL]")
	fs.DurationVar(&c.JWKSRefresh, "jwks-refresh", dur(5*time.Minute, "AUTHZ_JWKS_REFRESH"), "periodic JWKS refresh [AUTHZ_JWKS_REFRESH]")
	fs.DurationVar(&c.JWKSMinRefetch, "jwks-min-refetch", dur(10*time.Second, "AUTHZ_JWKS_MIN_REFETCH"), "at most one unknown-kid refetch per interval [AUTHZ_JWKS_MIN_REFETCH]")
	fs.StringVar(&c.Issuer, "issuer", env("eco2-auth", "AUTHZ_ISSUER", "ECO2_JWT_ISSUER"), "required iss [AUTHZ_ISSUER, ECO2_JWT_ISSUER]")
	fs.StringVar(&c.Audience, "audience", env("eco2-api", "AUTHZ_AUDIENCE", "ECO2_JWT_AUDIENCE"), "required aud [AUTHZ_AUDIENCE, ECO2_JWT_AUDIENCE]")
	fs.DurationVar(&c.Leeway, "leeway", dur(30*time.Second, "AUTHZ_LEEWAY"), "exp/nbf clock skew tolerance [AUTHZ_LEEWAY]")
	fs.StringVar(&c.RedisURL, "redis-url", env("", "AUTHZ_REDIS_URL"), "revocations from Redis (sorted set + Pub/Sub), e.g. redis://127.0.0.1:6379/0 [AUTHZ_REDIS_URL]")
	fs.BoolVar(&c.RedisCluster, "redis-cluster", truthy(env("", "AUTHZ_REDIS_CLUSTER", "ECO2_REDIS_CLUSTER")), "-redis-url names a node of a Redis Cluster [AUTHZ_REDIS_CLUSTER, ECO2_REDIS_CLUSTER=true]")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", env("eco2:", "AUTHZ_REDIS_PREFIX", "ECO2_REDIS_PREFIX"), "Redis key prefix [AUTHZ_REDIS_PREFIX, ECO2_REDIS_PREFIX]")
	fs.StringVar(&c.RevocationsURL, "revocations-url", env("", "AUTHZ_REVOCATIONS_URL"), "embedded mode: revocations snapshot URL (stream = URL + /stream), e.g. http://127.0.0.1:8000/internal/auth/revocations [AUTHZ_REVOCATIONS_URL]")
	fs.DurationVar(&c.StaleAfter, "stale-after", dur(30*time.Second, "AUTHZ_STALE_AFTER"), "answer 503 when revocation state is older than this [AUTHZ_STALE_AFTER]")
	fs.DurationVar(&c.ResyncEvery, "resync-every", dur(10*time.Second, "AUTHZ_RESYNC_EVERY"), "full revocation resync interval [AUTHZ_RESYNC_EVERY]")
	c.AllowedOrigins = splitList(env("", "AUTHZ_ALLOWED_ORIGINS", "ECO2_FRONTEND_ORIGINS"))
	fs.Var(listFlag{&c.AllowedOrigins}, "allowed-origins", "origins (comma-separated) that get CORS headers on denials [AUTHZ_ALLOWED_ORIGINS, ECO2_FRONTEND_ORIGINS]")
	c.PublicPrefixes = splitList(env("", "AUTHZ_PUBLIC_PREFIXES"))
	fs.Var(listFlag{&c.PublicPrefixes}, "public-prefix", "extra path prefix allowed without a token; repeatable [AUTHZ_PUBLIC_PREFIXES, comma-separated]")
	fs.StringVar(&c.AdminPrefix, "admin-prefix", env("/admin/", "AUTHZ_ADMIN_PREFIX"), "operator path prefix: needs a token with the operator role (others get 404), never public [AUTHZ_ADMIN_PREFIX]")
	cacheDef := 65536
	if v := env("", "AUTHZ_VERIFY_CACHE_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("AUTHZ_VERIFY_CACHE_SIZE: %w", err))
		}
		cacheDef = n
	}
	fs.IntVar(&c.VerifyCacheSize, "verify-cache-size", cacheDef, "verified tokens remembered to skip re-verifying signatures (0: off) [AUTHZ_VERIFY_CACHE_SIZE]")
	fs.BoolVar(&c.Pprof, "pprof", env("", "AUTHZ_PPROF") == "1", "serve net/http/pprof under /debug/pprof/ on the metrics listener [AUTHZ_PPROF=1]")
	fs.StringVar(&c.LogLevel, "log-level", env("info", "AUTHZ_LOG_LEVEL"), "debug|info|warn|error [AUTHZ_LOG_LEVEL]")

	// A flag given on the command line replaces the list from the environment.
	origins, prefixes := c.AllowedOrigins, c.PublicPrefixes
	c.AllowedOrigins, c.PublicPrefixes = nil, nil
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["allowed-origins"] {
		c.AllowedOrigins = origins
	}
	if !set["public-prefix"] {
		c.PublicPrefixes = prefixes
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %v", fs.Args()))
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

func (c *Config) validate() []error {
	var errs []error
	if c.JWKSURL == "" {
		errs = append(errs, errors.New("-jwks-url is required"))
	}
	if (c.RedisURL == "") == (c.RevocationsURL == "") {
		errs = append(errs, errors.New("exactly one of -redis-url and -revocations-url is required"))
	}
	if c.GRPCAddr == "" && c.HTTPAddr == "" {
		errs = append(errs, errors.New("at least one of -grpc-addr and -http-addr is required"))
	}
	if c.StaleAfter <= 0 || c.ResyncEvery <= 0 || c.JWKSRefresh <= 0 {
		errs = append(errs, errors.New("-stale-after, -resync-every and -jwks-refresh must be positive"))
	}
	if c.ResyncEvery >= c.StaleAfter {
		errs = append(errs, fmt.Errorf("-resync-every (%s) must be shorter than -stale-after (%s)", c.ResyncEvery, c.StaleAfter))
	}
	if c.Leeway < 0 || c.VerifyCacheSize < 0 {
		errs = append(errs, errors.New("-leeway and -verify-cache-size must not be negative"))
	}
	if p := strings.TrimRight(strings.TrimSpace(c.AdminPrefix), "/"); !strings.HasPrefix(p, "/") {
		errs = append(errs, fmt.Errorf("-admin-prefix %q: want an absolute path prefix other than /", c.AdminPrefix))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errs
}

// truthy reads a boolean setting as pydantic does for the mesh (true/1/yes/on).
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}
