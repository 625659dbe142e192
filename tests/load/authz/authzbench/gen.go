package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

const (
	issuer   = "eco2-auth"
	audience = "eco2-api"
	kid      = "bench-key-1"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func sign(priv *ecdsa.PrivateKey, claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT", "kid": kid})
	p, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(p)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func accessClaims(now time.Time, sub, sid string) map[string]any {
	return map[string]any{
		"iss": issuer, "aud": audience, "sub": sub, "jti": newID(), "sid": sid, "type": "access",
		"provider": []string{"google", "kakao", "naver"}[mrand.IntN(3)],
		"iat":      now.Unix(), "nbf": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
	}
}

// revEntry is one revocation as stored in Redis / published (ADR 0005).
type revEntry struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Exp   int64  `json:"exp"`
}

// checkJSON is a CheckRequest as ghz reads it (protojson field names).
func checkJSON(method, path string, headers map[string]string) map[string]any {
	return map[string]any{"attributes": map[string]any{
		"source":      map[string]any{"address": map[string]any{"socketAddress": map[string]any{"address": "10.0.3.17", "portValue": 51234}}},
		"destination": map[string]any{"address": map[string]any{"socketAddress": map[string]any{"address": "10.0.1.5", "portValue": 8080}}},
		"request": map[string]any{"http": map[string]any{
			"id": newID(), "method": method, "path": path, "host": "api.eco2.example", "scheme": "https",
			"protocol": "HTTP/2", "headers": headers,
		}},
	}}
}

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	n := fs.Int("tokens", 2000, "distinct tokens in the mix")
	pValid := fs.Float64("valid", 0.8, "share of valid tokens")
	pExpired := fs.Float64("expired", 0.1, "share of expired tokens (the rest are revoked)")
	_ = fs.Parse(args)
	if *out == "" {
		return errors.New("-out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, _ := x509.MarshalECPrivateKey(priv)
	if err := os.WriteFile(filepath.Join(*out, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	pt, _ := priv.PublicKey.Bytes()
	jwks := map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig", "x": b64(pt[1:33]), "y": b64(pt[33:65]),
	}}}
	if err := writeJSON(filepath.Join(*out, "jwks.json"), jwks); err != nil {
		return err
	}

	now := time.Now()
	paths := []struct{ method, path string }{
		{"GET", "/api/v1/users/me"}, {"GET", "/api/v1/chat?limit=20"}, {"POST", "/api/v1/scan"},
		{"GET", "/api/v1/locations/centers?lat=37.56&lon=126.97&zoom=15"}, {"GET", "/api/v1/info/news?category=environment&limit=10"},
		{"POST", "/api/v1/chat/5d0c7f3e-2b1a-4c8e-9f00-1a2b3c4d5e6f/messages"}, {"GET", "/api/v1/users/me/characters"},
	}
	var reqs []any
	var revoked []revEntry
	counts := map[string]int{}
	for i := range *n {
		sub, sid := newID(), newID()
		c := accessClaims(now, sub, sid)
		r := mrand.Float64()
		class := "valid"
		switch {
		case r < *pValid:
		case r < *pValid+*pExpired:
			class = "expired"
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-105*time.Minute).Unix()
		default:
			class = "revoked"
			// Half revoked per token (jti), half per session (sid, as logout does).
			if i%2 == 0 {
				revoked = append(revoked, revEntry{"jti", c["jti"].(string), now.Add(time.Hour).Unix()})
			} else {
				revoked = append(revoked, revEntry{"sid", sid, now.Add(14 * 24 * time.Hour).Unix()})
			}
		}
		counts[class]++
		tok := sign(priv, c)
		h := map[string]string{
			"user-agent":      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
			"accept":          "application/json, text/plain, */*",
			"accept-language": "ko-KR,ko;q=0.9,en-US;q=0.8",
			"origin":          "https://app.eco2.example",
			"x-forwarded-for": fmt.Sprintf("203.0.113.%d", i%250+1),
			"x-request-id":    newID(),
			"x-user-id":       "spoofed", // must be overwritten
		}
		// The PWA sends cookies; other callers a bearer header.
		if i%4 != 0 {
			h["cookie"] = "theme=light; s_access=" + tok + "; s_refresh=" + b64([]byte(newID()))
		} else {
			h["authorization"] = "Bearer " + tok
		}
		p := paths[i%len(paths)]
		h[":method"], h[":path"], h[":authority"], h[":scheme"] = p.method, p.path, "api.eco2.example", "https"
		reqs = append(reqs, checkJSON(p.method, p.path, h))
	}
	mrand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	if err := writeJSON(filepath.Join(*out, "ghz-data.json"), reqs); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*out, "revoked.json"), revoked); err != nil {
		return err
	}
	if err := writeProtoset(filepath.Join(*out, "auth.protoset")); err != nil {
		return err
	}
	fmt.Printf("token mix: %d distinct tokens: %d valid, %d expired, %d revoked (half by jti, half by sid); 3 in 4 as the s_access cookie, 1 in 4 as a bearer header\n",
		*n, counts["valid"], counts["expired"], counts["revoked"])
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// writeProtoset writes the descriptor set of envoy.service.auth.v3 with every dependency, for
// ghz's -protoset (no .proto files needed).
func writeProtoset(path string) error {
	seen := map[string]bool{}
	var files []*descriptorpb.FileDescriptorProto
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imps := fd.Imports()
		for i := range imps.Len() {
			add(imps.Get(i).FileDescriptor)
		}
		files = append(files, protodesc.ToFileDescriptorProto(fd))
	}
	add((&authv3.CheckRequest{}).ProtoReflect().Descriptor().ParentFile())
	b, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: files})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM in " + path)
	}
	return x509.ParseECPrivateKey(blk.Bytes)
}
