// Package decision is the ext-authz decision of ADR 0005, shared by the gRPC and the HTTP
// servers: public paths and preflights, token extraction, verification, revocation and the
// fail-closed rule for unknown or stale revocation state. It does no I/O of its own.
package decision

import (
	"context"
	"strings"
	"time"

	"eco2/authz/internal/verify"
)

// Reason is why a request was allowed or denied; it doubles as the metrics label.
type Reason uint8

const (
	Allow Reason = iota
	AllowPublic
	AllowPreflight
	TokenMissing
	TokenExpired
	TokenInvalid
	TokenRevoked
	Unavailable
	// NotOperator is a valid token without the operator role on an operator path: answered
	// 404, as if the path did not exist (never 403).
	NotOperator
	// NotUser is an operator token on a user path: it opens the operator paths only, so the
	// domains never see an operator's subject as a user (which no user table holds).
	NotUser
	numReasons
)

// Reasons lists every reason, in order.
func Reasons() []Reason {
	r := make([]Reason, numReasons)
	for i := range r {
		r[i] = Reason(i)
	}
	return r
}

var reasonNames = [...]string{"allow", "allow_public", "allow_preflight", "token_missing", "token_expired", "token_invalid", "token_revoked", "unavailable", "not_operator", "not_user"}

func (r Reason) String() string { return reasonNames[r] }

// Allowed reports whether the reason lets the request through.
func (r Reason) Allowed() bool { return r <= AllowPreflight }

// Status is the HTTP status of the decision: 200 for every allow, 401, 404 or 503 for denials
// (NotUser is a 401: the request needs a user's session).
func (r Reason) Status() int {
	switch {
	case r.Allowed():
		return 200
	case r == Unavailable:
		return 503
	case r == NotOperator:
		return 404
	default:
		return 401
	}
}

// Code is the error code of a denial ("" when allowed).
func (r Reason) Code() string { return denials[r].code }

// Body is the JSON body of a denial (nil when allowed).
func (r Reason) Body() []byte { return denials[r].body }

type denial struct {
	code string
	body []byte
}

var denials = func() [numReasons]denial {
	var d [numReasons]denial
	set := func(r Reason, code, detail string) {
		d[r] = denial{code: code, body: []byte(`{"detail":"` + detail + `","code":"` + code + `"}`)}
	}
	set(TokenMissing, "TOKEN_MISSING", "Authentication required")
	set(TokenExpired, "TOKEN_EXPIRED", "Access token expired")
	set(TokenInvalid, "TOKEN_INVALID", "Invalid access token")
	set(TokenRevoked, "TOKEN_REVOKED", "Access token revoked")
	set(Unavailable, "AUTHZ_UNAVAILABLE", "Authorization temporarily unavailable")
	set(NotOperator, "NOT_FOUND", "Not Found")
	set(NotUser, "NOT_A_USER", "Operator tokens open the operator paths only")
	return d
}()

// Header names the decision reads or writes (lower case).
const (
	HeaderUserID        = "x-user-id"
	HeaderAuthProvider  = "x-auth-provider"
	HeaderOperator      = "x-operator"
	HeaderAuthorization = "authorization"
	HeaderCookie        = "cookie"
	HeaderOrigin        = "origin"
	AccessCookie        = "s_access"
)

// ReadHeaders are every request header the decision reads: a server may decode only these.
var ReadHeaders = []string{HeaderAuthorization, HeaderCookie, HeaderOrigin}

// IdentityHeaders are the headers the authz owns upstream; client-supplied values never pass.
var IdentityHeaders = []string{HeaderUserID, HeaderAuthProvider, HeaderOperator}

// Headers gives the request headers by lower-case name (the first value, or "").
type Headers interface {
	Get(name string) string
}

// MapHeaders is a Headers over a map with lower-case keys (Envoy's CheckRequest form).
type MapHeaders map[string]string

// Get implements Headers.
func (m MapHeaders) Get(name string) string { return m[name] }

// Request is what the decision looks at.
type Request struct {
	Method string
	// Path is the original request path, possibly with a query string.
	Path    string
	Headers Headers
}

// Result is the decision.
type Result struct {
	Reason Reason
	// UserID and Provider are set on Allow (token verified); they go upstream as x-user-id and
	// x-auth-provider. On other allows both identity headers are only removed.
	UserID   string
	Provider string
	// Operator is set on an Allow of an operator path (the token's subject); it goes upstream
	// as x-operator. Otherwise x-operator is only removed.
	Operator string
	// CORSOrigin is the request's Origin when it is allow-listed and the request is denied.
	CORSOrigin string
}

// Verifier verifies a token at a time.
type Verifier interface {
	Verify(ctx context.Context, token string, now time.Time) (*verify.Claims, error)
}

// Revocations is the revocation state.
type Revocations interface {
	Revoked(jti, sid string) bool
	Fresh(now time.Time) bool
}

// Engine decides. Safe for concurrent use.
type Engine struct {
	verifier Verifier
	revoked  Revocations
	public   *Public
	admin    Admin
	origins  map[string]struct{}
	now      func() time.Time
}

// Option configures an Engine.
type Option func(*Engine)

// WithAllowedOrigins sets the origins that get CORS headers on denials.
func WithAllowedOrigins(origins ...string) Option {
	return func(e *Engine) {
		for _, o := range origins {
			if o = strings.TrimSpace(o); o != "" {
				e.origins[strings.TrimRight(o, "/")] = struct{}{}
			}
		}
	}
}

// WithPublicPrefixes adds path prefixes allowed without a token (any method).
func WithPublicPrefixes(prefixes ...string) Option {
	return func(e *Engine) { e.public.AddPrefixes(prefixes...) }
}

// WithAdminPrefix sets the operator path prefix (default DefaultAdminPrefix).
func WithAdminPrefix(prefix string) Option { return func(e *Engine) { e.admin = NewAdmin(prefix) } }

// WithClock injects the time source (tests).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// New returns an engine.
func New(v Verifier, r Revocations, opts ...Option) *Engine {
	e := &Engine{verifier: v, revoked: r, public: NewPublic(), admin: NewAdmin(DefaultAdminPrefix), origins: map[string]struct{}{}, now: time.Now}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Decide applies ADR 0005's decision steps to req.
func (e *Engine) Decide(ctx context.Context, req Request) Result {
	// 1. Preflights and public paths pass without a token (identity headers still removed);
	// operator paths are never public, whatever prefixes are configured, nor preflights.
	admin := e.admin.Match(req.Path)
	if !admin && req.Method == "OPTIONS" {
		return Result{Reason: AllowPreflight}
	}
	if !admin && e.public.Match(req.Method, req.Path) {
		return Result{Reason: AllowPublic}
	}
	// 2. Token: bearer header, else the access cookie.
	token := BearerToken(req.Headers.Get(HeaderAuthorization))
	if token == "" {
		token = CookieValue(req.Headers.Get(HeaderCookie), AccessCookie)
	}
	if token == "" {
		return e.deny(req, TokenMissing)
	}
	// 3. Verify.
	now := e.now()
	claims, err := e.verifier.Verify(ctx, token, now)
	if err != nil {
		if verify.IsExpired(err) {
			return e.deny(req, TokenExpired)
		}
		return e.deny(req, TokenInvalid)
	}
	// 4. Revoked (a known revocation holds even when the state is stale).
	if e.revoked.Revoked(claims.JTI, claims.SID) {
		return e.deny(req, TokenRevoked)
	}
	// 5. Unknown or stale revocation state: fail closed, distinctly from an invalid token.
	if !e.revoked.Fresh(now) {
		return e.deny(req, Unavailable)
	}
	// 6. Operator paths need the operator role; anyone else is told they do not exist.
	res := Result{Reason: Allow, UserID: claims.Subject, Provider: claims.Provider}
	if admin {
		if !claims.HasRole(OperatorRole) {
			return e.deny(req, NotOperator)
		}
		res.Operator = claims.Subject
	} else if claims.Provider == OperatorProvider {
		return e.deny(req, NotUser)
	}
	// 7. Allow with identity.
	return res
}

func (e *Engine) deny(req Request, r Reason) Result {
	res := Result{Reason: r}
	if o := req.Headers.Get(HeaderOrigin); o != "" {
		if _, ok := e.origins[o]; ok {
			res.CORSOrigin = o
		}
	}
	return res
}

// BearerToken returns the token of an "Authorization: Bearer <token>" value, or "".
func BearerToken(v string) string {
	const p = "bearer "
	if len(v) <= len(p) || !strings.EqualFold(v[:len(p)], p) {
		return ""
	}
	return strings.TrimSpace(v[len(p):])
}

// CookieValue returns the value of cookie name in a Cookie header (several headers may have
// been joined with ", " or "; "), or "".
func CookieValue(header, name string) string {
	for i := 0; i < len(header); {
		j := strings.Index(header[i:], name)
		if j < 0 {
			return ""
		}
		start := i + j
		end := start + len(name)
		i = end
		// The name must start a cookie-pair and be followed by '='.
		if end >= len(header) || header[end] != '=' || !pairStart(header, start) {
			continue
		}
		v := header[end+1:]
		if k := strings.IndexAny(v, ";,"); k >= 0 {
			v = v[:k]
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return v
	}
	return ""
}

// pairStart reports whether position i of a Cookie header starts a cookie-pair: it is at the
// beginning or preceded by optional spaces and a ';' or ','.
func pairStart(h string, i int) bool {
	for i > 0 && (h[i-1] == ' ' || h[i-1] == '\t') {
		i--
	}
	return i == 0 || h[i-1] == ';' || h[i-1] == ','
}
