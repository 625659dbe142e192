package decision

import (
	"net/url"
	"path"
	"strings"
)

// OperatorRole is the role an access token needs for the operator paths.
const OperatorRole = "operator"

// OperatorProvider is the provider of operator tokens (functions/auth/operator.py): their
// subject is an operator, not a user, so they open the operator paths and nothing else.
const OperatorProvider = "operator"

// DefaultAdminPrefix is where the operator endpoints live.
const DefaultAdminPrefix = "/admin/"

// Admin matches the operator paths: a path prefix taken as whole segments ("/admin/" covers
// "/admin" and "/admin/x", not "/administrator"). A path that an upstream could resolve into
// the prefix (percent-escapes, dot segments, doubled slashes, backslashes, other letter case)
// counts too: for an operator path the error is on the side of asking for the role.
type Admin struct {
	base string // the prefix without its trailing slash, e.g. "/admin"
}

// NewAdmin returns the matcher for prefix; an empty prefix, "/" or a relative one falls back
// to DefaultAdminPrefix (the operator paths cannot be switched off).
func NewAdmin(prefix string) Admin {
	prefix = strings.TrimSpace(prefix)
	base := strings.TrimRight(prefix, "/")
	if base == "" || !strings.HasPrefix(base, "/") {
		base = strings.TrimRight(DefaultAdminPrefix, "/")
	}
	return Admin{base: base}
}

// Prefix is the configured prefix, with its trailing slash.
func (a Admin) Prefix() string { return a.base + "/" }

// Match reports whether the request path (query string allowed) is an operator path.
func (a Admin) Match(p string) bool {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if a.under(p) {
		return true
	}
	if !strings.ContainsAny(p, `%\`) && !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return false
	}
	return a.under(normalize(p))
}

func (a Admin) under(p string) bool {
	n := len(a.base)
	if len(p) < n || !strings.EqualFold(p[:n], a.base) {
		return false
	}
	return len(p) == n || p[n] == '/'
}

// normalize resolves what a lenient upstream might: one round of percent-decoding,
// backslashes as slashes, doubled slashes and dot segments.
func normalize(p string) string {
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	p = strings.ReplaceAll(p, `\`, "/")
	return path.Clean("/" + p)
}
