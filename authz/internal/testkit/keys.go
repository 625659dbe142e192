// Package testkit holds test helpers shared by the authz's packages: ES256 keys and tokens
// made in the test, a JWKS server, forged tokens for the security cases, Redis access, and the
// decision table that every server is tested against. Only tests import it.
package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Key is an ES256 signing key and its kid.
type Key struct {
	Priv *ecdsa.PrivateKey
	Kid  string
}

// NewKey generates a P-256 key.
func NewKey(t testing.TB, kid string) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Priv: priv, Kid: kid}
}

// PublicPoint is the uncompressed public point (0x04 || X || Y).
func (k *Key) PublicPoint() []byte {
	b, err := k.Priv.PublicKey.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}

// JWK is the key's public JWK as the auth functions publish it.
func (k *Key) JWK() map[string]any {
	p := k.PublicPoint()
	return map[string]any{
		"kty": "EC", "crv": "P-256", "kid": k.Kid, "alg": "ES256", "use": "sig",
		"x": b64(p[1:33]), "y": b64(p[33:65]),
	}
}

// PublicPEM is the key's SubjectPublicKeyInfo PEM (what an HS256 confusion attack would use).
func (k *Key) PublicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&k.Priv.PublicKey)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func segment(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b64(b)
}

// Claims is a JWT payload.
type Claims map[string]any

// Test identities.
const (
	Issuer   = "eco2-auth"
	Audience = "eco2-api"
	Subject  = "7f1c6a2e-4d0b-4b8e-9d51-3f0c2a9e8b11"
	Provider = "kakao"
)

var seq atomic.Int64

// NewID returns a unique UUID-shaped id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Access returns valid access-token claims issued at now, living 15 minutes.
func Access(now time.Time) Claims {
	seq.Add(1)
	return Claims{
		"iss": Issuer, "aud": Audience, "sub": Subject, "jti": NewID(), "sid": NewID(),
		"type": "access", "provider": Provider,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
	}
}

// OperatorSubject is the subject of Operator tokens.
const OperatorSubject = "operator:alice"

// Operator returns valid operator-token claims issued at now: an access token for
// OperatorSubject with provider "operator" and roles ["operator"].
func Operator(now time.Time) Claims {
	return Access(now).With("sub", OperatorSubject, "provider", "operator", "roles", []string{"operator"})
}

// With returns a copy with the given claims set (a nil value deletes the claim).
func (c Claims) With(kv ...any) Claims {
	out := Claims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

// Header returns the standard ES256 header for kid.
func Header(kid string) map[string]any {
	return map[string]any{"alg": "ES256", "typ": "JWT", "kid": kid}
}

// Sign makes an ES256 token with k.
func (k *Key) Sign(c Claims) string { return k.SignHeader(Header(k.Kid), c) }

// SignHeader makes an ES256-signed token with an arbitrary header.
func (k *Key) SignHeader(h map[string]any, c Claims) string {
	input := segment(h) + "." + segment(c)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.Priv, d[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

// Unsigned makes an alg "none" token (empty signature).
func Unsigned(alg, kid string, c Claims) string {
	return segment(map[string]any{"alg": alg, "typ": "JWT", "kid": kid}) + "." + segment(c) + "."
}

// HS256 makes an HMAC-SHA256 token with secret (the alg-confusion attack uses the public key).
func HS256(secret []byte, kid string, c Claims) string {
	input := segment(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + segment(c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

// RS256 makes an RSA token with a fresh RSA key under kid.
func RS256(t testing.TB, kid string, c Claims) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	input := segment(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + segment(c)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// ES384 makes a P-384 / SHA-384 token under kid.
func ES384(t testing.TB, kid string, c Claims) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	input := segment(map[string]any{"alg": "ES384", "typ": "JWT", "kid": kid}) + "." + segment(c)
	d := sha512.Sum384([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 96)
	r.FillBytes(sig[:48])
	s.FillBytes(sig[48:])
	return input + "." + b64(sig)
}

// TamperPayload replaces a signed token's payload, keeping header and signature.
func TamperPayload(token string, c Claims) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + segment(c) + "." + parts[2]
}

// JWKSServer serves a JWKS document that tests can change, counting fetches.
type JWKSServer struct {
	*httptest.Server
	mu   sync.Mutex
	keys []map[string]any
	fail bool
	hits atomic.Int64
}

// JWKSPath is the contract path of the JWKS.
const JWKSPath = "/api/v1/auth/.well-known/jwks.json"

// NewJWKSServer starts a JWKS server on localhost:0 publishing keys.
func NewJWKSServer(t testing.TB, keys ...*Key) *JWKSServer {
	s := &JWKSServer{}
	s.SetKeys(keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != JWKSPath {
			http.NotFound(w, r)
			return
		}
		s.hits.Add(1)
		s.mu.Lock()
		doc, _ := json.Marshal(map[string]any{"keys": s.keys})
		fail := s.fail
		s.mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(s.Close)
	return s
}

// URL is the JWKS URL.
func (s *JWKSServer) URL() string { return s.Server.URL + JWKSPath }

// SetKeys replaces the published keys.
func (s *JWKSServer) SetKeys(keys ...*Key) {
	var jwks []map[string]any
	for _, k := range keys {
		jwks = append(jwks, k.JWK())
	}
	s.SetRaw(jwks...)
}

// SetRaw replaces the published JWKs with raw documents.
func (s *JWKSServer) SetRaw(jwks ...map[string]any) {
	s.mu.Lock()
	s.keys = jwks
	s.mu.Unlock()
}

// SetFailing makes the server answer 503.
func (s *JWKSServer) SetFailing(fail bool) {
	s.mu.Lock()
	s.fail = fail
	s.mu.Unlock()
}

// Hits is the number of JWKS fetches served.
func (s *JWKSServer) Hits() int64 { return s.hits.Load() }

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set sets the clock.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
