package config_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"eco2/authz/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsAndFlags(t *testing.T) {
	c, err := config.Parse([]string{"-jwks-url", "http://a/jwks", "-redis-url", "redis://127.0.0.1:6379/0",
		"-public-prefix", "/uploads/", "-public-prefix", "/cdn/,/img/", "-stale-after", "20s"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCAddr != "127.0.0.1:9000" || c.HTTPAddr != "127.0.0.1:9001" || c.Issuer != "eco2-auth" || c.Audience != "eco2-api" ||
		c.RedisPrefix != "eco2:" || c.StaleAfter != 20*time.Second || c.ResyncEvery != 10*time.Second || c.Leeway != 30*time.Second {
		t.Fatalf("config = %+v", c)
	}
	if c.AdminPrefix != "/admin/" {
		t.Fatalf("admin prefix = %q, want the default /admin/", c.AdminPrefix)
	}
	if strings.Join(c.PublicPrefixes, " ") != "/uploads/ /cdn/ /img/" {
		t.Fatalf("public prefixes = %v", c.PublicPrefixes)
	}
}

func TestEnvFallbacksAndPrecedence(t *testing.T) {
	e := env(map[string]string{
		"AUTHZ_JWKS_URL": "http://env/jwks", "AUTHZ_REVOCATIONS_URL": "http://mesh/internal/auth/revocations",
		"ECO2_JWT_ISSUER": "iss-from-eco2", "AUTHZ_AUDIENCE": "aud-from-authz", "ECO2_JWT_AUDIENCE": "ignored",
		"ECO2_REDIS_PREFIX": "p:", "ECO2_FRONTEND_ORIGINS": "https://a.example, https://b.example",
		"AUTHZ_STALE_AFTER": "45s", "AUTHZ_GRPC_ADDR": "127.0.0.1:7000", "AUTHZ_ADMIN_PREFIX": "/ops/",
	})
	c, err := config.Parse([]string{"-grpc-addr", "127.0.0.1:7001"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.JWKSURL != "http://env/jwks" || c.Issuer != "iss-from-eco2" || c.Audience != "aud-from-authz" || c.RedisPrefix != "p:" ||
		c.StaleAfter != 45*time.Second || c.GRPCAddr != "127.0.0.1:7001" || len(c.AllowedOrigins) != 2 || c.AdminPrefix != "/ops/" {
		t.Fatalf("config = %+v", c)
	}
	c, err = config.Parse([]string{"-allowed-origins", "https://c.example"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AllowedOrigins, ",") != "https://c.example" {
		t.Fatalf("flag must replace env origins: %v", c.AllowedOrigins)
	}
}

func TestValidation(t *testing.T) {
	for name, args := range map[string][]string{
		"no jwks":             {"-redis-url", "redis://x"},
		"no revocation src":   {"-jwks-url", "http://a"},
		"two revocation srcs": {"-jwks-url", "http://a", "-redis-url", "redis://x", "-revocations-url", "http://m"},
		"resync >= stale":     {"-jwks-url", "http://a", "-redis-url", "redis://x", "-resync-every", "30s"},
		"no listener":         {"-jwks-url", "http://a", "-redis-url", "redis://x", "-grpc-addr", "", "-http-addr", ""},
		"bad log level":       {"-jwks-url", "http://a", "-redis-url", "redis://x", "-log-level", "loud"},
		"stray argument":      {"-jwks-url", "http://a", "-redis-url", "redis://x", "extra"},
		"root admin prefix":   {"-jwks-url", "http://a", "-redis-url", "redis://x", "-admin-prefix", "/"},
		"empty admin prefix":  {"-jwks-url", "http://a", "-redis-url", "redis://x", "-admin-prefix", ""},
		"relative admin":      {"-jwks-url", "http://a", "-redis-url", "redis://x", "-admin-prefix", "admin/"},
	} {
		if _, err := config.Parse(args, env(nil), io.Discard); err == nil {
			t.Errorf("%s: accepted %v", name, args)
		}
	}
	if _, err := config.Parse(nil, env(map[string]string{"AUTHZ_STALE_AFTER": "soon"}), io.Discard); err == nil {
		t.Error("bad duration in env accepted")
	}
}
