package testkit

import (
	"testing"
	"time"

	"eco2/authz/internal/decision"
)

// The operator rows of the decision table: operator paths (under /admin/ by default) need a
// token with the operator role; a valid token without it gets 404 NOT_FOUND, never 403.

func notFound(name, method, path string, h map[string]string) Case {
	return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 404, WantCode: "NOT_FOUND"}
}

func denied(name, method, path string, h map[string]string, code string) Case {
	return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 401, WantCode: code}
}

func operatorAllow(name, method, path string, h map[string]string) Case {
	return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 200,
		WantUser: OperatorSubject, WantProvider: "operator", WantOperator: OperatorSubject}
}

func userAllow(name, method, path string, h map[string]string) Case {
	return Case{Name: name, Method: method, Path: path, Headers: h, WantStatus: 200, WantUser: Subject, WantProvider: Provider}
}

func operatorGroup(t testing.TB) Group {
	f := NewFixture(t, Fresh)
	now := f.Now
	op := Operator(now)
	opTok := f.Key.Sign(op)
	user := f.Key.Sign(Access(now))
	cases := []Case{
		operatorAllow("operator token lists dead letters", "GET", "/admin/dead-letters?limit=5", bearer(opTok)),
		operatorAllow("operator token replays", "POST", "/admin/dead-letters/replay", bearer(opTok)),
		operatorAllow("operator token from the access cookie", "POST", "/admin/canary", map[string]string{"cookie": "s_access=" + opTok}),
		operatorAllow("spoofed x-operator overwritten on allow", "GET", "/admin/dead-letters", with(bearer(opTok), "x-operator", "operator:mallory", "x-user-id", "attacker")),
		operatorAllow("operator role among others", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", []string{"auditor", "operator"})))),
		denied("operator token on a user path", "GET", "/api/v1/users/me", with(bearer(opTok), "x-operator", "operator:mallory"), "NOT_A_USER"),
		denied("operator token from the cookie on a user path", "POST", "/api/v1/scan", map[string]string{"cookie": "s_access=" + opTok}, "NOT_A_USER"),
		denied("operator-provider token without the role on a user path", "GET", "/api/v1/chat", bearer(f.Key.Sign(op.With("roles", nil))), "NOT_A_USER"),
		userAllow("a user holding the operator role is still a user on a user path", "GET", "/api/v1/users/me", bearer(f.Key.Sign(Access(now).With("roles", []string{"operator"})))),
		userAllow("user token on a user path: spoofed x-operator removed", "GET", "/api/v1/users/me", with(bearer(user), "x-operator", "operator:mallory")),

		denied("no token", "GET", "/admin/dead-letters", map[string]string{}, "TOKEN_MISSING"),
		denied("preflight is not exempt", "OPTIONS", "/admin/canary", map[string]string{}, "TOKEN_MISSING"),
		denied("invalid token", "GET", "/admin/dead-letters", bearer("garbage"), "TOKEN_INVALID"),
		denied("expired operator token", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("exp", now.Add(-time.Hour).Unix(), "nbf", now.Add(-2*time.Hour).Unix()))), "TOKEN_EXPIRED"),
		denied("revoked operator session", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("sid", RevokedSID))), "TOKEN_REVOKED"),
		denied("operator token signed by a stranger", "GET", "/admin/dead-letters", bearer(f.Stranger.Sign(op)), "TOKEN_INVALID"),
		denied("roles tampered into a user token", "GET", "/admin/dead-letters", bearer(TamperPayload(user, Access(now).With("roles", []string{"operator"}))), "TOKEN_INVALID"),
		denied("roles as a string", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", "operator"))), "TOKEN_INVALID"),
		denied("a role with a newline", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", []string{"operator\nx"}))), "TOKEN_INVALID"),

		notFound("user token", "GET", "/admin/dead-letters", bearer(user)),
		notFound("user token from the cookie", "POST", "/admin/dead-letters/replay", map[string]string{"cookie": "s_access=" + user}),
		notFound("user token with a spoofed x-operator", "POST", "/admin/canary", with(bearer(user), "x-operator", OperatorSubject)),
		notFound("operator subject without the role", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", nil)))),
		notFound("other roles only", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", []string{"auditor"})))),
		notFound("empty roles", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", []string{})))),
		notFound("role name is matched exactly", "GET", "/admin/dead-letters", bearer(f.Key.Sign(op.With("roles", []string{"Operator"})))),
		notFound("the prefix itself", "GET", "/admin", bearer(user)),
		notFound("the prefix with a query", "GET", "/admin?x=1", bearer(user)),
		notFound("encoded slash into the prefix", "GET", "/admin%2Fdead-letters", bearer(user)),
		notFound("encoded letter", "GET", "/%61dmin/dead-letters", bearer(user)),
		notFound("doubled slash", "GET", "//admin/dead-letters", bearer(user)),
		notFound("dot segment", "GET", "/./admin/dead-letters", bearer(user)),
		notFound("dot-dot into the prefix", "GET", "/api/v1/../../admin/dead-letters", bearer(user)),
		notFound("other letter case", "GET", "/ADMIN/dead-letters", bearer(user)),
		func() Case {
			c := notFound("404 carries CORS for an allow-listed origin", "GET", "/admin/dead-letters", with(bearer(user), "origin", AllowedOrigin))
			c.WantCORS = AllowedOrigin
			return c
		}(),

		userAllow("a longer first segment is not the prefix", "GET", "/administrator/x", bearer(user)),
		userAllow("the prefix deeper in the path is not the prefix", "GET", "/api/v1/admin/x", bearer(user)),
	}
	return Group{Name: "operator", Engine: f.Engine, Cases: cases}
}

// Configured public prefixes never open the operator paths.
func adminNeverPublicGroup(t testing.TB) Group {
	f := NewFixture(t, Fresh, decision.WithPublicPrefixes("/admin/", "/adm"))
	user := f.Key.Sign(Access(f.Now))
	return Group{Name: "admin_never_public", Engine: f.Engine, Cases: []Case{
		denied("no token under a public prefix", "GET", "/admin/dead-letters", map[string]string{}, "TOKEN_MISSING"),
		denied("preflight under a public prefix", "OPTIONS", "/admin/dead-letters", map[string]string{}, "TOKEN_MISSING"),
		notFound("user token under a public prefix", "POST", "/admin/canary", bearer(user)),
		operatorAllow("operator token under a public prefix", "POST", "/admin/canary", bearer(f.Key.Sign(Operator(f.Now)))),
		{Name: "the public prefix still opens other paths", Method: "GET", Path: "/admx", WantStatus: 200},
	}}
}

// The prefix is a setting; "/" or an empty one cannot switch the check off.
func customAdminPrefixGroup(t testing.TB) Group {
	f := NewFixture(t, Fresh, decision.WithAdminPrefix("/ops/"))
	user := f.Key.Sign(Access(f.Now))
	g := Group{Name: "custom_admin_prefix", Engine: f.Engine, Cases: []Case{
		notFound("user token under the configured prefix", "GET", "/ops/dead-letters", bearer(user)),
		operatorAllow("operator token under the configured prefix", "GET", "/ops/dead-letters", bearer(f.Key.Sign(Operator(f.Now)))),
		userAllow("the default prefix is an ordinary path then", "GET", "/admin/dead-letters", bearer(user)),
	}}
	for _, p := range []string{"", "/", "relative/"} {
		e := NewFixture(t, Fresh, decision.WithAdminPrefix(p))
		if r := e.Engine.Decide(t.Context(), decision.Request{Method: "GET", Path: "/admin/x", Headers: decision.MapHeaders(bearer(e.Key.Sign(Access(e.Now))))}); r.Reason != decision.NotOperator {
			t.Fatalf("admin prefix %q: /admin/x with a user token = %v, want not_operator (the default)", p, r.Reason)
		}
	}
	return g
}
