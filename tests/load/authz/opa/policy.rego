# The authz decision of ADR 0005 as an OPA-Envoy policy, for the side-by-side benchmark only
# (tests/load/authz/run.sh): ES256 JWT verified against the JWKS with io.jwt.decode_verify,
# iss/aud/type checks, jti/sid denylist from data, identity headers on allow, 401 + JSON body on
# denial. Public paths and CORS are left out: the benchmark's requests never hit them.
package envoy.authz

import rego.v1

http_request := input.attributes.request.http

token := t if {
	v := http_request.headers.authorization
	startswith(lower(v), "bearer ")
	t := substring(v, 7, -1)
}

token := t if {
	not http_request.headers.authorization
	some part in split(http_request.headers.cookie, ";")
	kv := trim_space(part)
	startswith(kv, "s_access=")
	t := substring(kv, 9, -1)
}

verified := [valid, payload] if {
	[valid, _, payload] := io.jwt.decode_verify(token, {
		"cert": data.eco2.jwks,
		"alg": "ES256",
		"iss": "eco2-auth",
		"aud": "eco2-api",
	})
}

claims := verified[1] if verified[0]

revoked if data.eco2.revoked.jti[claims.jti]

revoked if data.eco2.revoked.sid[claims.sid]

allowed if {
	claims.type == "access"
	not revoked
}

result := {
	"allowed": true,
	"headers": {"x-user-id": claims.sub, "x-auth-provider": claims.provider},
} if allowed

result := {
	"allowed": false,
	"http_status": 401,
	"headers": {"content-type": "application/json"},
	"body": "{\"detail\":\"Invalid access token\",\"code\":\"TOKEN_INVALID\"}",
} if not allowed
