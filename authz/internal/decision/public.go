package decision

import "strings"

// Public is the set of requests allowed without a token (ADR 0005 step 1).
type Public struct {
	exact    map[string]string // path -> method ("" = any)
	prefixes []string
}

// Providers are the login providers whose start and callback paths are public.
var Providers = []string{"google", "kakao", "naver", "dev"}

// NewPublic returns the contract's public paths.
func NewPublic() *Public {
	p := &Public{exact: map[string]string{}}
	for _, prov := range Providers {
		p.exact["/api/v1/auth/"+prov] = "GET"
		p.exact["/api/v1/auth/"+prov+"/callback"] = "GET"
	}
	p.exact["/api/v1/auth/refresh"] = "POST"
	p.exact["/api/v1/auth/logout"] = "POST"
	p.exact["/api/v1/auth/.well-known/jwks.json"] = "GET"
	p.exact["/health"] = ""
	p.exact["/ready"] = ""
	return p
}

// AddPrefixes adds path prefixes allowed for any method. Empty prefixes and "/" are ignored
// (they would make everything public).
func (p *Public) AddPrefixes(prefixes ...string) {
	for _, pre := range prefixes {
		pre = strings.TrimSpace(pre)
		if pre == "" || pre == "/" || !strings.HasPrefix(pre, "/") {
			continue
		}
		p.prefixes = append(p.prefixes, pre)
	}
}

// Match reports whether method + path (query string allowed) is public.
func (p *Public) Match(method, path string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if m, ok := p.exact[path]; ok && (m == "" || m == method) {
		return true
	}
	if len(p.prefixes) == 0 || !clean(path) {
		return false
	}
	for _, pre := range p.prefixes {
		if strings.HasPrefix(path, pre) {
			return true
		}
	}
	return false
}

// clean refuses paths that a proxy or an upstream could resolve to somewhere else than they
// read: dot segments, empty segments, encoded slashes, dots or backslashes.
func clean(path string) bool {
	if strings.Contains(path, "//") || strings.Contains(path, `\`) {
		return false
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	lower := strings.ToLower(path)
	for _, enc := range []string{"%2f", "%2e", "%5c", "%00"} {
		if strings.Contains(lower, enc) {
			return false
		}
	}
	return true
}
