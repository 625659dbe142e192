// Package verify checks Eco² access tokens (ADR 0005): compact JWS, alg ES256 only, a kid
// known to the JWKS, the signature, exp/nbf with leeway, iss, aud and type == "access".
//
// Tokens whose signature and static claims (iss, aud, type, required ids) checked out are
// remembered in a bounded cache keyed by the whole token, so a token presented
// again skips the ECDSA verification; the time checks run on every call and a cached token
// is dropped as soon as its kid no longer maps to the same key in the JWKS.
package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"time"
)

// Kind classifies a verification failure.
type Kind uint8

const (
	// Invalid covers every failure other than expiry: malformed token, wrong alg, unknown kid,
	// bad signature, not yet valid, wrong iss/aud/type, missing claims.
	Invalid Kind = iota + 1
	// Expired means a well-signed token past exp + leeway.
	Expired
)

// Error is returned by Verify.
type Error struct {
	Kind   Kind
	Reason string
}

func (e *Error) Error() string { return "token " + e.kindString() + ": " + e.Reason }

func (e *Error) kindString() string {
	if e.Kind == Expired {
		return "expired"
	}
	return "invalid"
}

func invalid(reason string) error { return &Error{Kind: Invalid, Reason: reason} }

// Claims are the verified claims the decision needs.
type Claims struct {
	Subject  string
	JTI      string
	SID      string
	Provider string
	Type     string
	Issuer   string
	// Roles is the `roles` claim (operator tokens carry ["operator"]; user tokens none).
	Roles []string
	// Exp and Nbf are Unix times in nanoseconds (Nbf 0 when absent).
	Exp int64
	Nbf int64
}

// KeySource resolves a kid to its public key. Key may fetch (rate-limited); Lookup must not.
type KeySource interface {
	Key(ctx context.Context, kid string) (*ecdsa.PublicKey, error)
	Lookup(kid string) *ecdsa.PublicKey
}

// Verifier verifies access tokens. Safe for concurrent use.
type Verifier struct {
	keys     KeySource
	issuer   string
	audience string
	leeway   time.Duration
	maxLen   int
	cache    *cache
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithLeeway sets the clock skew tolerance for exp and nbf (default 30 s).
func WithLeeway(d time.Duration) Option { return func(v *Verifier) { v.leeway = d } }

// WithCacheSize bounds the verified-token cache; 0 disables it (default 65,536).
func WithCacheSize(n int) Option { return func(v *Verifier) { v.cache = newCache(n) } }

// WithMaxTokenLength rejects longer tokens before any parsing (default 8 KiB).
func WithMaxTokenLength(n int) Option { return func(v *Verifier) { v.maxLen = n } }

// New returns a verifier for tokens from issuer for audience, with keys from keys.
func New(keys KeySource, issuer, audience string, opts ...Option) *Verifier {
	v := &Verifier{
		keys:     keys,
		issuer:   issuer,
		audience: audience,
		leeway:   30 * time.Second,
		maxLen:   8 << 10,
		cache:    newCache(1 << 16),
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Leeway is the configured clock skew tolerance.
func (v *Verifier) Leeway() time.Duration { return v.leeway }

// CacheLen is the number of cached verified tokens.
func (v *Verifier) CacheLen() int { return v.cache.len() }

// Verify checks token at time now and returns its claims, or an *Error.
func (v *Verifier) Verify(ctx context.Context, token string, now time.Time) (*Claims, error) {
	if len(token) > v.maxLen {
		return nil, invalid("token too long")
	}
	if v.cache.enabled() {
		if e := v.cache.get(token); e != nil {
			// The cached verification holds only while the kid still names the same key.
			if pub := v.keys.Lookup(e.kid); pub != nil && pub == e.pub {
				return e.claims, v.checkTime(e.claims, now)
			}
			v.cache.remove(token)
		}
	}
	claims, kid, pub, err := v.verifyFull(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.cache.enabled() {
		v.cache.put(token, &entry{claims: claims, kid: kid, pub: pub})
	}
	return claims, v.checkTime(claims, now)
}

func (v *Verifier) checkTime(c *Claims, now time.Time) error {
	n := now.UnixNano()
	lw := v.leeway.Nanoseconds()
	// RFC 7519: valid strictly before exp; nbf at or after. Leeway widens both.
	if n >= c.Exp+lw {
		return &Error{Kind: Expired, Reason: "exp passed"}
	}
	if c.Nbf != 0 && n < c.Nbf-lw {
		return invalid("not valid yet (nbf)")
	}
	return nil
}

type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  *string         `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

type payload struct {
	Iss      *string         `json:"iss"`
	Aud      json.RawMessage `json:"aud"`
	Sub      *string         `json:"sub"`
	Jti      *string         `json:"jti"`
	Sid      *string         `json:"sid"`
	Type     *string         `json:"type"`
	Provider *string         `json:"provider"`
	Roles    []string        `json:"roles"`
	Exp      *float64        `json:"exp"`
	Nbf      *float64        `json:"nbf"`
}

var b64 = base64.RawURLEncoding.Strict()

// verifyFull does everything but the time checks, which depend on now and are not cached.
func (v *Verifier) verifyFull(ctx context.Context, token string) (*Claims, string, *ecdsa.PublicKey, error) {
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, "", nil, invalid("not a compact JWS")
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return nil, "", nil, invalid("not a compact JWS")
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, "", nil, invalid("header is not base64url")
	}
	var hd header
	if err := json.Unmarshal(hb, &hd); err != nil {
		return nil, "", nil, invalid("header is not a JSON object")
	}
	// The allow-list: ES256 and nothing else (no "none", no HMAC, no RSA, no other curves).
	if hd.Alg != "ES256" {
		return nil, "", nil, invalid("alg " + quote(hd.Alg) + " not allowed")
	}
	if hd.Typ != nil && !strings.EqualFold(*hd.Typ, "JWT") {
		return nil, "", nil, invalid("typ " + quote(*hd.Typ) + " not allowed")
	}
	if len(hd.Crit) > 0 && !bytes.Equal(hd.Crit, []byte("null")) {
		return nil, "", nil, invalid("crit header not supported")
	}
	if hd.Kid == "" {
		return nil, "", nil, invalid("missing kid")
	}
	pub, err := v.keys.Key(ctx, hd.Kid)
	if err != nil || pub == nil {
		return nil, "", nil, invalid("unknown kid " + quote(hd.Kid))
	}
	sig, err := b64.DecodeString(s)
	if err != nil || len(sig) != 64 {
		return nil, "", nil, invalid("signature is not a 64-byte ES256 signature")
	}
	digest := sha256.Sum256([]byte(token[:len(h)+1+len(p)]))
	r := new(big.Int).SetBytes(sig[:32])
	ss := new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, ss) {
		return nil, "", nil, invalid("bad signature")
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, "", nil, invalid("payload is not base64url")
	}
	var pl payload
	if err := json.Unmarshal(pb, &pl); err != nil {
		return nil, "", nil, invalid("payload is not a JSON object of the expected claims")
	}
	c, err := v.checkStatic(&pl)
	if err != nil {
		return nil, "", nil, err
	}
	return c, hd.Kid, pub, nil
}

func (v *Verifier) checkStatic(pl *payload) (*Claims, error) {
	if pl.Iss == nil || *pl.Iss != v.issuer {
		return nil, invalid("wrong iss")
	}
	if !audienceMatches(pl.Aud, v.audience) {
		return nil, invalid("wrong aud")
	}
	if pl.Type == nil || *pl.Type != "access" {
		return nil, invalid("type is not access")
	}
	if !idLike(pl.Sub) || !idLike(pl.Jti) || !idLike(pl.Sid) {
		return nil, invalid("sub, jti and sid are required")
	}
	c := &Claims{Subject: *pl.Sub, JTI: *pl.Jti, SID: *pl.Sid, Type: *pl.Type, Issuer: *pl.Iss}
	if pl.Provider != nil {
		if *pl.Provider != "" && !idLike(pl.Provider) {
			return nil, invalid("bad provider")
		}
		c.Provider = *pl.Provider
	}
	if len(pl.Roles) > 0 {
		for i := range pl.Roles {
			if !idLike(&pl.Roles[i]) {
				return nil, invalid("bad roles")
			}
		}
		c.Roles = pl.Roles
	}
	if pl.Exp == nil {
		return nil, invalid("missing exp")
	}
	var ok bool
	if c.Exp, ok = numericDate(*pl.Exp); !ok {
		return nil, invalid("bad exp")
	}
	if pl.Nbf != nil {
		if c.Nbf, ok = numericDate(*pl.Nbf); !ok || c.Nbf == 0 {
			return nil, invalid("bad nbf")
		}
	}
	return c, nil
}

// numericDate converts JWT seconds to Unix nanoseconds, refusing values that are not finite
// or lie outside 1970..5138.
func numericDate(s float64) (int64, bool) {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 || s > 1e11 {
		return 0, false
	}
	return int64(s * 1e9), true
}

func audienceMatches(raw json.RawMessage, want string) bool {
	if len(raw) == 0 {
		return false
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// idLike accepts the identifiers that end up in headers: 1..200 printable ASCII characters.
func idLike(s *string) bool {
	if s == nil || len(*s) == 0 || len(*s) > 200 {
		return false
	}
	for i := 0; i < len(*s); i++ {
		if c := (*s)[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// HasRole reports whether the token's roles claim holds role.
func (c *Claims) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// IsExpired reports whether err is an expiry failure.
func IsExpired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Expired
}
