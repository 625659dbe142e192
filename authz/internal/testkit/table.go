package testkit

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/jwks"
	"eco2/authz/internal/revocation"
	"eco2/authz/internal/verify"
)

// AllowedOrigin is the allow-listed PWA origin of the table; OtherOrigin is not allow-listed.
const (
	AllowedOrigin = "https://app.eco2.example"
	OtherOrigin   = "https://evil.example"
	PublicPrefix  = "/uploads/"
)

// Case is one row of the decision table: a request and what must come out of any server.
type Case struct {
	Name    string
	Method  string
	Path    string
	Headers map[string]string // lower-case names

	WantStatus int
	WantCode   string // error code of a denial
	// On allow with identity: the values set upstream. On other allows: both identity headers
	// must be removed upstream.
	WantUser     string
	WantProvider string
	// WantOperator is the x-operator set upstream on allow ("" = it must be removed).
	WantOperator string
	WantCORS     string // expected Access-Control-Allow-Origin ("" = absent)
}

// Group is a set of cases decided by one engine (one revocation state).
type Group struct {
	Name   string
	Engine *decision.Engine
	Cases  []Case
}

// Outcome is what a server answered, normalised across the gRPC and HTTP forms.
type Outcome struct {
	Status int
	// Body is the denial body (empty on allow).
	Body []byte
	// Headers are the response headers of a denial (lower-case names).
	Headers map[string]string
	// Set are the headers set upstream on allow; Removed the headers removed upstream.
	Set     map[string]string
	Removed []string
}

// Assert checks an outcome against the case.
func (c Case) Assert(t testing.TB, o Outcome) {
	t.Helper()
	if o.Status != c.WantStatus {
		t.Fatalf("status = %d, want %d (body %s)", o.Status, c.WantStatus, o.Body)
	}
	if c.WantStatus != http.StatusOK {
		var body struct{ Detail, Code string }
		if err := json.Unmarshal(o.Body, &body); err != nil {
			t.Fatalf("denial body %q is not JSON: %v", o.Body, err)
		}
		if body.Code != c.WantCode || body.Detail == "" {
			t.Fatalf("denial body = %s, want code %s and a detail", o.Body, c.WantCode)
		}
		if ct := o.Headers["content-type"]; !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("denial content-type = %q", ct)
		}
		if got := o.Headers["access-control-allow-origin"]; got != c.WantCORS {
			t.Fatalf("access-control-allow-origin = %q, want %q", got, c.WantCORS)
		}
		if c.WantCORS != "" {
			if o.Headers["access-control-allow-credentials"] != "true" || !strings.EqualFold(o.Headers["vary"], "Origin") {
				t.Fatalf("CORS denial headers incomplete: %v", o.Headers)
			}
		} else if _, ok := o.Headers["access-control-allow-credentials"]; ok {
			t.Fatalf("credentials header without an allow-listed origin: %v", o.Headers)
		}
		if len(o.Set) > 0 {
			t.Fatalf("denial sets upstream headers %v", o.Set)
		}
		return
	}
	if _, ok := o.Headers["access-control-allow-origin"]; ok {
		t.Fatalf("allow carries CORS headers (the upstream owns CORS on allowed requests): %v", o.Headers)
	}
	if c.WantUser != "" {
		if o.Set[decision.HeaderUserID] != c.WantUser {
			t.Fatalf("upstream x-user-id = %q, want %q (set %v)", o.Set[decision.HeaderUserID], c.WantUser, o.Set)
		}
		if o.Set[decision.HeaderAuthProvider] != c.WantProvider {
			t.Fatalf("upstream x-auth-provider = %q, want %q", o.Set[decision.HeaderAuthProvider], c.WantProvider)
		}
		if o.Set[decision.HeaderOperator] != c.WantOperator {
			t.Fatalf("upstream x-operator = %q, want %q (set %v)", o.Set[decision.HeaderOperator], c.WantOperator, o.Set)
		}
		if c.WantOperator == "" && !slices.Contains(o.Removed, decision.HeaderOperator) {
			t.Fatalf("allow without operator does not remove x-operator upstream (removed %v)", o.Removed)
		}
		return
	}
	if len(o.Set) > 0 {
		t.Fatalf("anonymous allow sets upstream headers %v", o.Set)
	}
	for _, h := range decision.IdentityHeaders {
		if !slices.Contains(o.Removed, h) {
			t.Fatalf("anonymous allow does not remove %s upstream (removed %v)", h, o.Removed)
		}
	}
}

// Fixture is a fully wired decision engine over a test JWKS server.
type Fixture struct {
	Now      time.Time
	Key      *Key // published in the JWKS
	Stranger *Key // not published
	JWKS     *JWKSServer
	Keys     *jwks.Cache
	Verifier *verify.Verifier
	Set      *revocation.Set
	Engine   *decision.Engine
}

// RevokedJTI and RevokedSID are in the fixture's revocation set.
const (
	RevokedJTI = "0b1d2c3e-0000-4000-8000-00000000a11a"
	RevokedSID = "0b1d2c3e-0000-4000-8000-00000000b22b"
)

// State is the revocation state of a fixture.
type State int

const (
	Fresh State = iota
	NeverBootstrapped
	Stale
)

// NewFixture wires an engine whose clock is fixed at a whole second; opts come after the
// fixture's own engine options.
func NewFixture(t testing.TB, state State, opts ...decision.Option) *Fixture {
	t.Helper()
	f := &Fixture{Now: time.Now().Truncate(time.Second)}
	f.Key = NewKey(t, "key-2026-01")
	f.Stranger = NewKey(t, "key-stranger")
	f.JWKS = NewJWKSServer(t, f.Key)
	now := func() time.Time { return f.Now }
	f.Keys = jwks.New(f.JWKS.URL(), jwks.WithClock(now))
	if err := f.Keys.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Verifier = verify.New(f.Keys, Issuer, Audience)
	f.Set = revocation.NewSet(revocation.WithSetClock(now))
	exp := f.Now.Add(time.Hour).Unix()
	f.Set.Merge([]revocation.Entry{{Kind: revocation.KindJTI, Value: RevokedJTI, Exp: exp}, {Kind: revocation.KindSID, Value: RevokedSID, Exp: exp}})
	switch state {
	case Fresh:
		f.Set.MarkSynced(f.Now.Add(-time.Second))
	case Stale:
		f.Set.MarkSynced(f.Now.Add(-31 * time.Second))
	}
	f.Engine = decision.New(f.Verifier, f.Set, append([]decision.Option{
		decision.WithClock(now),
		decision.WithAllowedOrigins(AllowedOrigin),
		decision.WithPublicPrefixes(PublicPrefix)}, opts...)...)
	return f
}

func bearer(tok string) map[string]string { return map[string]string{"authorization": "Bearer " + tok} }

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Table is the decision table of ADR 0005, in three revocation states.
func Table(t testing.TB) []Group {
	t.Helper()
	return []Group{
		freshGroup(t), operatorGroup(t), adminNeverPublicGroup(t), customAdminPrefixGroup(t),
		unavailableGroup(t, NeverBootstrapped, "never_bootstrapped"), unavailableGroup(t, Stale, "stale"),
	}
}

func freshGroup(t testing.TB) Group {
	f := NewFixture(t, Fresh)
	now := f.Now
	ok := Access(now)
	valid := f.Key.Sign(ok)
	pem := f.Key.PublicPEM()
	jwkJSON, _ := json.Marshal(f.Key.JWK())
	allow := func(name, method, path string, h map[string]string) Case {
		return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 200, WantUser: Subject, WantProvider: Provider}
	}
	anon := func(name, method, path string, h map[string]string) Case {
		return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 200}
	}
	deny := func(name string, h map[string]string, code string) Case {
		st := 401
		if code == "AUTHZ_UNAVAILABLE" {
			st = 503
		}
		return Case{Name: name, Method: "GET", Path: "/api/v1/users/me", Headers: h, WantStatus: st, WantCode: code}
	}
	invalid := func(name, tok string) Case { return deny(name, bearer(tok), "TOKEN_INVALID") }
	cors := func(c Case, origin, want string) Case {
		c.Headers = with(c.Headers, "origin", origin)
		c.WantCORS = want
		return c
	}
	spoof := map[string]string{"x-user-id": "attacker", "x-auth-provider": "google"}
	otherSig := f.Stranger.SignHeader(Header(f.Key.Kid), ok) // right kid, wrong key

	cases := []Case{
		// Token sources.
		allow("valid bearer", "GET", "/api/v1/users/me", bearer(valid)),
		allow("valid bearer, lower-case scheme", "GET", "/api/v1/users/me", map[string]string{"authorization": "bearer " + valid}),
		allow("valid s_access cookie", "GET", "/api/v1/users/me", map[string]string{"cookie": "s_access=" + valid}),
		allow("s_access among other cookies", "POST", "/api/v1/scan", map[string]string{"cookie": "theme=dark; s_access=" + valid + "; s_refresh=opaque"}),
		allow("bearer wins over a bad cookie", "GET", "/api/v1/users/me", with(bearer(valid), "cookie", "s_access=garbage")),
		deny("bad bearer is not rescued by a good cookie", with(bearer("garbage"), "cookie", "s_access="+valid), "TOKEN_INVALID"),
		allow("non-bearer authorization falls back to the cookie", "GET", "/api/v1/users/me", map[string]string{"authorization": "Basic dXNlcjpwYXNz", "cookie": "s_access=" + valid}),
		deny("no token", map[string]string{}, "TOKEN_MISSING"),
		deny("basic auth only", map[string]string{"authorization": "Basic dXNlcjpwYXNz"}, "TOKEN_MISSING"),
		deny("empty bearer", map[string]string{"authorization": "Bearer "}, "TOKEN_MISSING"),
		deny("refresh cookie is not an access cookie", map[string]string{"cookie": "s_refresh=" + valid}, "TOKEN_MISSING"),
		deny("cookie name is matched exactly", map[string]string{"cookie": "xs_access=" + valid}, "TOKEN_MISSING"),

		// Algorithm allow-list.
		invalid("alg none", Unsigned("none", f.Key.Kid, ok)),
		invalid("alg None", Unsigned("None", f.Key.Kid, ok)),
		// The same rows with a genuine ES256 signature over the lying header: only the alg
		// allow-list stands between these and acceptance.
		invalid("alg none header, valid ES256 signature", f.Key.SignHeader(map[string]any{"alg": "none", "kid": f.Key.Kid}, ok)),
		invalid("alg HS256 header, valid ES256 signature", f.Key.SignHeader(map[string]any{"alg": "HS256", "kid": f.Key.Kid}, ok)),
		invalid("alg RS256 header, valid ES256 signature", f.Key.SignHeader(map[string]any{"alg": "RS256", "kid": f.Key.Kid}, ok)),
		invalid("alg es256 (wrong case) header, valid ES256 signature", f.Key.SignHeader(map[string]any{"alg": "es256", "kid": f.Key.Kid}, ok)),
		invalid("no alg header, valid ES256 signature", f.Key.SignHeader(map[string]any{"kid": f.Key.Kid}, ok)),
		invalid("alg none with a real ES256 signature appended", Unsigned("none", f.Key.Kid, ok)+strings.Split(valid, ".")[2]),
		invalid("HS256 keyed with the public key PEM", HS256(pem, f.Key.Kid, ok)),
		invalid("HS256 keyed with the public point", HS256(f.Key.PublicPoint(), f.Key.Kid, ok)),
		invalid("HS256 keyed with the public JWK", HS256(jwkJSON, f.Key.Kid, ok)),
		invalid("RS256", RS256(t, f.Key.Kid, ok)),
		invalid("ES384", ES384(t, f.Key.Kid, ok)),
		invalid("ES256 header over an ES384-size signature", f.Key.SignHeader(map[string]any{"alg": "ES256", "kid": f.Key.Kid}, ok)+"AAAA"),

		// Signature and shape.
		invalid("payload tampered after signing", TamperPayload(valid, ok.With("sub", "someone-else"))),
		invalid("signed by another key under the published kid", otherSig),
		invalid("unknown kid", f.Stranger.Sign(ok)),
		invalid("missing kid", f.Key.SignHeader(map[string]any{"alg": "ES256", "typ": "JWT"}, ok)),
		invalid("typ other than JWT", f.Key.SignHeader(map[string]any{"alg": "ES256", "typ": "at+jwt+x", "kid": f.Key.Kid}, ok)),
		invalid("crit header", f.Key.SignHeader(map[string]any{"alg": "ES256", "kid": f.Key.Kid, "crit": []string{"exp"}}, ok)),
		invalid("not a JWT", "garbage"),
		invalid("two segments", "a.b"),
		invalid("four segments", valid+".x"),
		invalid("padded base64", strings.Replace(valid, ".", "=.", 1)),

		// Time, with the 30 s leeway.
		deny("expired", bearer(f.Key.Sign(ok.With("exp", now.Add(-31*time.Second).Unix()))), "TOKEN_EXPIRED"),
		deny("expired long ago", bearer(f.Key.Sign(ok.With("exp", now.Add(-24*time.Hour).Unix(), "nbf", now.Add(-25*time.Hour).Unix()))), "TOKEN_EXPIRED"),
		deny("leeway edge: now == exp + 30 s is expired", bearer(f.Key.Sign(ok.With("exp", now.Add(-30*time.Second).Unix()))), "TOKEN_EXPIRED"),
		allow("leeway edge: now == exp + 29 s is accepted", "GET", "/api/v1/users/me", bearer(f.Key.Sign(ok.With("exp", now.Add(-29*time.Second).Unix())))),
		invalid("not yet valid", f.Key.Sign(ok.With("nbf", now.Add(31*time.Second).Unix()))),
		allow("leeway edge: nbf == now + 30 s is accepted", "GET", "/api/v1/users/me", bearer(f.Key.Sign(ok.With("nbf", now.Add(30*time.Second).Unix())))),
		invalid("missing exp", f.Key.Sign(ok.With("exp", nil))),
		invalid("exp as a string", f.Key.Sign(ok.With("exp", "9999999999"))),

		// Claims.
		invalid("wrong iss", f.Key.Sign(ok.With("iss", "someone-else"))),
		invalid("missing iss", f.Key.Sign(ok.With("iss", nil))),
		invalid("wrong aud", f.Key.Sign(ok.With("aud", "other-api"))),
		invalid("aud list without ours", f.Key.Sign(ok.With("aud", []string{"a", "b"}))),
		allow("aud list with ours", "GET", "/api/v1/users/me", bearer(f.Key.Sign(ok.With("aud", []string{"other", Audience})))),
		invalid("missing aud", f.Key.Sign(ok.With("aud", nil))),
		invalid("refresh token used as access", f.Key.Sign(ok.With("type", "refresh"))),
		invalid("missing type", f.Key.Sign(ok.With("type", nil))),
		invalid("missing sub", f.Key.Sign(ok.With("sub", nil))),
		invalid("missing jti", f.Key.Sign(ok.With("jti", nil))),
		invalid("missing sid", f.Key.Sign(ok.With("sid", nil))),
		invalid("sub with a newline", f.Key.Sign(ok.With("sub", "a\r\nx-user-id: b"))),

		// Revocation.
		deny("revoked by jti", bearer(f.Key.Sign(ok.With("jti", RevokedJTI))), "TOKEN_REVOKED"),
		deny("revoked by sid", bearer(f.Key.Sign(ok.With("sid", RevokedSID))), "TOKEN_REVOKED"),
		deny("revoked by sid, from the cookie", map[string]string{"cookie": "s_access=" + f.Key.Sign(ok.With("sid", RevokedSID))}, "TOKEN_REVOKED"),

		// Identity headers.
		allow("spoofed identity overwritten on allow", "GET", "/api/v1/users/me", with(bearer(valid), "x-user-id", "attacker", "x-auth-provider", "google")),
		anon("spoofed identity removed on a public path", "GET", "/api/v1/auth/kakao", spoof),
		anon("spoofed identity removed on a preflight", "OPTIONS", "/api/v1/users/me", spoof),
		{Name: "provider-less token sets x-user-id and removes x-auth-provider", Method: "GET", Path: "/api/v1/users/me",
			Headers: with(bearer(f.Key.Sign(ok.With("provider", nil))), "x-auth-provider", "google"), WantStatus: 200, WantUser: Subject},

		// Public paths and preflights.
		anon("preflight without token", "OPTIONS", "/api/v1/chat/abc/messages", nil),
		anon("preflight with a bad token", "OPTIONS", "/api/v1/users/me", bearer("garbage")),
		anon("public: jwks", "GET", "/api/v1/auth/.well-known/jwks.json", nil),
		anon("public: refresh", "POST", "/api/v1/auth/refresh", nil),
		anon("public: logout with an expired token", "POST", "/api/v1/auth/logout", bearer(f.Key.Sign(ok.With("exp", now.Add(-time.Hour).Unix())))),
		anon("public: health", "GET", "/health", nil),
		anon("public: ready", "GET", "/ready", nil),
		anon("public: extra prefix (signed upload PUT)", "PUT", PublicPrefix+"scan/abc.png?sig=xyz&exp=1", nil),
		deny("not public: refresh with GET", map[string]string{}, "TOKEN_MISSING"),
		deny("not public: unknown provider", map[string]string{}, "TOKEN_MISSING"),
		deny("not public: provider path with a trailing slash", map[string]string{}, "TOKEN_MISSING"),
		deny("not public: dot-dot out of the extra prefix", map[string]string{}, "TOKEN_MISSING"),
		deny("not public: encoded dot-dot out of the extra prefix", map[string]string{}, "TOKEN_MISSING"),
		deny("not public: the prefix without its slash", map[string]string{}, "TOKEN_MISSING"),

		// CORS on denials.
		cors(deny("denial, allow-listed origin", map[string]string{}, "TOKEN_MISSING"), AllowedOrigin, AllowedOrigin),
		cors(deny("denial, other origin", map[string]string{}, "TOKEN_MISSING"), OtherOrigin, ""),
		cors(invalid("invalid token, allow-listed origin", "garbage"), AllowedOrigin, AllowedOrigin),
		cors(deny("revoked, allow-listed origin", bearer(f.Key.Sign(ok.With("jti", RevokedJTI))), "TOKEN_REVOKED"), AllowedOrigin, AllowedOrigin),
		cors(allow("allow, allow-listed origin: no CORS from the authz", "GET", "/api/v1/users/me", bearer(valid)), AllowedOrigin, ""),
	}
	for _, p := range Providers() {
		cases = append(cases,
			anon("public: login "+p, "GET", "/api/v1/auth/"+p+"?redirect_uri=x", nil),
			anon("public: callback "+p, "GET", "/api/v1/auth/"+p+"/callback?code=c&state=s", nil))
	}
	// Give the "not public" rows their paths.
	paths := map[string][2]string{
		"not public: refresh with GET":                        {"GET", "/api/v1/auth/refresh"},
		"not public: unknown provider":                        {"GET", "/api/v1/auth/github"},
		"not public: provider path with a trailing slash":     {"GET", "/api/v1/auth/google/"},
		"not public: dot-dot out of the extra prefix":         {"GET", PublicPrefix + "../api/v1/users/me"},
		"not public: encoded dot-dot out of the extra prefix": {"GET", PublicPrefix + "%2e%2e/api/v1/users/me"},
		"not public: the prefix without its slash":            {"GET", strings.TrimSuffix(PublicPrefix, "/") + "-private/x"},
	}
	for i := range cases {
		if mp, ok := paths[cases[i].Name]; ok {
			cases[i].Method, cases[i].Path = mp[0], mp[1]
		}
	}
	return Group{Name: "fresh", Engine: f.Engine, Cases: cases}
}

// Providers are the login providers with public paths.
func Providers() []string { return decision.Providers }

func unavailableGroup(t testing.TB, state State, name string) Group {
	f := NewFixture(t, state)
	ok := Access(f.Now)
	valid := f.Key.Sign(ok)
	return Group{Name: name, Engine: f.Engine, Cases: []Case{
		{Name: "valid token fails closed with 503", Method: "GET", Path: "/api/v1/users/me", Headers: bearer(valid), WantStatus: 503, WantCode: "AUTHZ_UNAVAILABLE"},
		{Name: "503 carries CORS for an allow-listed origin", Method: "GET", Path: "/api/v1/users/me", Headers: with(bearer(valid), "origin", AllowedOrigin), WantStatus: 503, WantCode: "AUTHZ_UNAVAILABLE", WantCORS: AllowedOrigin},
		{Name: "invalid token is still 401", Method: "GET", Path: "/api/v1/users/me", Headers: bearer("garbage"), WantStatus: 401, WantCode: "TOKEN_INVALID"},
		{Name: "expired token is still 401", Method: "GET", Path: "/api/v1/users/me", Headers: bearer(f.Key.Sign(ok.With("exp", f.Now.Add(-time.Hour).Unix()))), WantStatus: 401, WantCode: "TOKEN_EXPIRED"},
		{Name: "known revocation is still 401", Method: "GET", Path: "/api/v1/users/me", Headers: bearer(f.Key.Sign(ok.With("sid", RevokedSID))), WantStatus: 401, WantCode: "TOKEN_REVOKED"},
		{Name: "missing token is still 401", Method: "GET", Path: "/api/v1/users/me", Headers: map[string]string{}, WantStatus: 401, WantCode: "TOKEN_MISSING"},
		{Name: "operator token on an operator path fails closed with 503", Method: "POST", Path: "/admin/dead-letters/replay", Headers: bearer(f.Key.Sign(Operator(f.Now))), WantStatus: 503, WantCode: "AUTHZ_UNAVAILABLE"},
		{Name: "operator path without a token is still 401", Method: "GET", Path: "/admin/dead-letters", Headers: map[string]string{}, WantStatus: 401, WantCode: "TOKEN_MISSING"},
		{Name: "public path still allowed", Method: "POST", Path: "/api/v1/auth/refresh", WantStatus: 200},
		{Name: "preflight still allowed", Method: "OPTIONS", Path: "/api/v1/users/me", WantStatus: 200},
	}}
}
