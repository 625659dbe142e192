package grpcserver

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/protobuf/proto"

	"eco2/authz/internal/decision"
)

// slow is what the standard handler derives from a fully decoded request.
func slow(req *authv3.CheckRequest) (method, path string, h map[string]string) {
	hh := req.GetAttributes().GetRequest().GetHttp()
	hdrs := hh.GetHeaders()
	if len(hdrs) == 0 && hh.GetHeaderMap() != nil {
		hdrs = fromHeaderMap(hh.GetHeaderMap())
	}
	method, path = hh.GetMethod(), hh.GetPath()
	if method == "" {
		method = hdrs[":method"]
	}
	if path == "" {
		path = hdrs[":path"]
	}
	return method, path, hdrs
}

// FuzzWireDecode: the fast decoder reads the same method, path and headers as a full decode.
func FuzzWireDecode(f *testing.F) {
	f.Add("GET", "/api/v1/users/me", "cookie", "s_access=abc", "authorization", "Bearer x", "origin", "https://a", false, false)
	f.Add("", "", ":method", "POST", ":path", "/p", "cookie", "a=1", true, false)
	f.Add("OPTIONS", "/x", "cookie", "a=1", "cookie", "b=2", "x-user-id", "spoof", true, true)
	f.Add("GET", "/x", "Authorization", "Bearer up", "origin", "", "authorization", "Bearer low", false, true)
	f.Fuzz(func(t *testing.T, method, path, k1, v1, k2, v2, k3, v3 string, raw, both bool) {
		hr := &authv3.AttributeContext_HttpRequest{Method: method, Path: path, Host: "h", Protocol: "HTTP/2"}
		if raw || both {
			hr.HeaderMap = &corev3.HeaderMap{Headers: []*corev3.HeaderValue{{Key: k1, RawValue: []byte(v1)}, {Key: k2, Value: v2}, {Key: k3, RawValue: []byte(v3)}}}
		}
		if !raw || both {
			hr.Headers = map[string]string{k1: v1, k2: v2, k3: v3}
		}
		req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{Http: hr}}}
		b, err := proto.Marshal(req)
		if err != nil {
			return // invalid UTF-8 in a string field: not a request Envoy can send
		}
		var back authv3.CheckRequest
		if err := proto.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		var w wireRequest
		if err := w.decode(b); err != nil {
			t.Fatalf("fast decode: %v", err)
		}
		m, p, h := slow(&back)
		if w.method != m || w.path != p {
			t.Fatalf("method/path: fast %q %q, full %q %q", w.method, w.path, m, p)
		}
		for _, name := range decision.ReadHeaders {
			if got, want := w.Get(name), h[name]; got != want {
				t.Fatalf("header %s: fast %q, full %q", name, got, want)
			}
		}
	})
}

func TestWireDecodeRejectsGarbage(t *testing.T) {
	var w wireRequest
	if err := w.decode([]byte{0x0a, 0x05, 0x01}); err == nil {
		t.Fatal("truncated message accepted")
	}
}

func TestEncodeAllowMatchesProto(t *testing.T) {
	for _, c := range []struct{ user, provider, operator string }{
		{"7f1c6a2e-4d0b-4b8e-9d51-3f0c2a9e8b11", "kakao", ""},
		{"u", "", ""},
		{string(make([]byte, 300)), "naver", ""},
		{"operator:alice", "operator", "operator:alice"},
		{"operator:bob", "", "operator:bob"},
		{"operator:" + string(make([]byte, 300)), "operator", "operator:" + string(make([]byte, 300))},
	} {
		res := decision.Result{Reason: decision.Allow, UserID: c.user, Provider: c.provider, Operator: c.operator}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(Response(res))
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeAllow(c.user, c.provider, c.operator); string(got) != string(want) {
			t.Fatalf("encodeAllow(%q, %q, %q)\n got %x\nwant %x", c.user, c.provider, c.operator, got, want)
		}
	}
}
