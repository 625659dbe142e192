package decision_test

import (
	"context"
	"testing"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/testkit"
)

// TestTable runs the shared decision table directly against the engine; the gRPC and HTTP
// servers run the same table in their own tests.
func TestTable(t *testing.T) {
	for _, g := range testkit.Table(t) {
		t.Run(g.Name, func(t *testing.T) {
			for _, c := range g.Cases {
				t.Run(c.Name, func(t *testing.T) {
					res := g.Engine.Decide(context.Background(), decision.Request{Method: c.Method, Path: c.Path, Headers: decision.MapHeaders(c.Headers)})
					o := testkit.Outcome{Status: res.Reason.Status(), Body: res.Reason.Body(), Headers: map[string]string{}, Set: map[string]string{}}
					if !res.Reason.Allowed() {
						o.Headers["content-type"] = "application/json"
						if res.CORSOrigin != "" {
							o.Headers["access-control-allow-origin"] = res.CORSOrigin
							o.Headers["access-control-allow-credentials"] = "true"
							o.Headers["vary"] = "Origin"
						}
					} else if res.Reason == decision.Allow {
						o.Set[decision.HeaderUserID] = res.UserID
						for h, v := range map[string]string{decision.HeaderAuthProvider: res.Provider, decision.HeaderOperator: res.Operator} {
							if v != "" {
								o.Set[h] = v
							} else {
								o.Removed = append(o.Removed, h)
							}
						}
					} else {
						o.Removed = decision.IdentityHeaders
					}
					c.Assert(t, o)
				})
			}
		})
	}
}

func TestCookieValue(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"s_access=abc", "abc"},
		{"a=1; s_access=abc; b=2", "abc"},
		{"a=1, s_access=abc", "abc"},
		{`s_access="abc"`, "abc"},
		{"s_access_x=1; s_access=abc", "abc"},
		{"xs_access=abc", ""},
		{"s_access=", ""},
		{"", ""},
	} {
		if got := decision.CookieValue(c.header, "s_access"); got != c.want {
			t.Errorf("CookieValue(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"BEARER  abc ", "abc"},
		{"Bearer", ""},
		{"Basic abc", ""},
		{"Bearerabc", ""},
	} {
		if got := decision.BearerToken(c.header); got != c.want {
			t.Errorf("BearerToken(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

func TestPublicPrefixesIgnoreRoot(t *testing.T) {
	p := decision.NewPublic()
	p.AddPrefixes("/", "", "relative/", " /ok/ ")
	if p.Match("GET", "/api/v1/users/me") {
		t.Fatal(`"/" must not make every path public`)
	}
	if !p.Match("DELETE", "/ok/x") {
		t.Fatal("trimmed prefix not applied")
	}
}

func TestCookieValueEdgeCases(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"a=s_access=x; s_access=abc", "abc"}, // the name inside another cookie's value does not count
		{"s_access", ""},
		{"s_access =abc", ""},
		{" s_access=abc ;x=1", "abc"},
		{"x=1;s_access=abc,y=2", "abc"},
	} {
		if got := decision.CookieValue(c.header, "s_access"); got != c.want {
			t.Errorf("CookieValue(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}
