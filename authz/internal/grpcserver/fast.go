package grpcserver

import (
	"context"
	"errors"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/metrics"
)

// The fast path. Decoding a whole CheckRequest (every header into a map, addresses, metadata)
// was the largest single cost of a check. Registered through Register, Check reads only the
// fields the decision uses straight from the wire (method, path and the headers in
// decision.ReadHeaders, from either the headers map or Envoy's raw header_map), and static
// denials go out as pre-encoded bytes. Everything else on the server uses the regular codec.

// wireRequest is the part of a CheckRequest the decision reads.
type wireRequest struct {
	method, path             string
	auth, cookie, origin     string
	mapSeen                  bool // the headers map was present: header_map is then ignored
	rawAuth, rawCookie       string
	rawOrigin                string
	rawMethod, rawPath       string
	pseudoMethod, pseudoPath string
}

// Get implements decision.Headers.
func (r *wireRequest) Get(name string) string {
	switch name {
	case decision.HeaderAuthorization:
		return r.auth
	case decision.HeaderCookie:
		return r.cookie
	case decision.HeaderOrigin:
		return r.origin
	}
	return ""
}

var errWire = errors.New("grpcserver: malformed CheckRequest")

// fields calls f for every field of the message b; a bytes field's value is passed as is.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errWire
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errWire
		}
		b = b[n:]
		if err := f(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

func (r *wireRequest) decode(b []byte) error {
	*r = wireRequest{}
	// CheckRequest.attributes(1) > AttributeContext.request(4) > Request.http(2) > HttpRequest.
	err := fields(b, func(n protowire.Number, t protowire.Type, v []byte) error {
		if n != 1 || t != protowire.BytesType {
			return nil
		}
		return fields(v, func(n protowire.Number, t protowire.Type, v []byte) error {
			if n != 4 || t != protowire.BytesType {
				return nil
			}
			return fields(v, func(n protowire.Number, t protowire.Type, v []byte) error {
				if n != 2 || t != protowire.BytesType {
					return nil
				}
				return r.decodeHTTP(v)
			})
		})
	})
	if err != nil {
		return err
	}
	if !r.mapSeen {
		r.auth, r.cookie, r.origin = r.rawAuth, r.rawCookie, r.rawOrigin
		r.pseudoMethod, r.pseudoPath = r.rawMethod, r.rawPath
	}
	if r.method == "" {
		r.method = r.pseudoMethod
	}
	if r.path == "" {
		r.path = r.pseudoPath
	}
	return nil
}

func (r *wireRequest) decodeHTTP(b []byte) error {
	return fields(b, func(n protowire.Number, t protowire.Type, v []byte) error {
		if t != protowire.BytesType {
			return nil
		}
		switch n {
		case 2: // method
			r.method = string(v)
		case 4: // path
			r.path = string(v)
		case 3: // headers map entry {key=1, value=2}; a repeated key: the last one wins
			r.mapSeen = true
			var key, val []byte
			if err := fields(v, func(n protowire.Number, t protowire.Type, v []byte) error {
				if t == protowire.BytesType {
					switch n {
					case 1:
						key = v
					case 2:
						val = v
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if dst := r.mapSlot(key); dst != nil {
				*dst = string(val)
			}
		case 13: // header_map {repeated HeaderValue headers = 1 {key=1, value=2, raw_value=3}}
			return fields(v, func(n protowire.Number, t protowire.Type, v []byte) error {
				if n != 1 || t != protowire.BytesType {
					return nil
				}
				var key, val, raw []byte
				if err := fields(v, func(n protowire.Number, t protowire.Type, v []byte) error {
					if t == protowire.BytesType {
						switch n {
						case 1:
							key = v
						case 2:
							val = v
						case 3:
							raw = v
						}
					}
					return nil
				}); err != nil {
					return err
				}
				if len(val) == 0 {
					val = raw
				}
				if dst := r.rawSlot(key); dst != nil {
					if *dst != "" {
						*dst += "," + string(val) // repeated headers, joined as Envoy does for the map form
					} else {
						*dst = string(val)
					}
				}
				return nil
			})
		}
		return nil
	})
}

func (r *wireRequest) mapSlot(key []byte) *string {
	switch string(key) {
	case decision.HeaderAuthorization:
		return &r.auth
	case decision.HeaderCookie:
		return &r.cookie
	case decision.HeaderOrigin:
		return &r.origin
	case ":method":
		return &r.pseudoMethod
	case ":path":
		return &r.pseudoPath
	}
	return nil
}

func (r *wireRequest) rawSlot(key []byte) *string {
	switch string(key) {
	case decision.HeaderAuthorization:
		return &r.rawAuth
	case decision.HeaderCookie:
		return &r.rawCookie
	case decision.HeaderOrigin:
		return &r.rawOrigin
	case ":method":
		return &r.rawMethod
	case ":path":
		return &r.rawPath
	}
	return nil
}

// encoded is a response already in wire form.
type encoded []byte

var encodedDenied = func() map[decision.Reason]encoded {
	m := map[decision.Reason]encoded{}
	for r, resp := range denied {
		b, err := proto.Marshal(resp)
		if err != nil {
			panic(err)
		}
		m[r] = b
	}
	return m
}()

var encodedAnonymousOK = func() encoded {
	b, err := proto.Marshal(anonymousOK)
	if err != nil {
		panic(err)
	}
	return b
}()

// codec decodes CheckRequests the fast way and writes pre-encoded responses; anything else goes
// to the regular proto codec.
type codec struct{ proto encoding.CodecV2 }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(encoded); ok {
		return mem.BufferSlice{mem.SliceBuffer(e)}, nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*wireRequest); ok {
		if len(data) == 1 {
			return r.decode(data[0].ReadOnlyData())
		}
		return r.decode(data.Materialize())
	}
	return c.proto.Unmarshal(data, v)
}

// ServerOptions are the options a grpc.Server needs for Register's fast path.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ForceServerCodecV2(codec{proto: encoding.GetCodecV2("proto")})}
}

// NewGRPCServer returns a grpc.Server with ServerOptions and opts.
func NewGRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(ServerOptions(), opts...)...)
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "envoy.service.auth.v3.Authorization",
	HandlerType: (*authv3.AuthorizationServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Check",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var req wireRequest
			if err := dec(&req); err != nil {
				return nil, err
			}
			return srv.(*Server).checkWire(ctx, &req), nil
		},
	}},
	Metadata: "envoy/service/auth/v3/external_auth.proto",
}

// Register adds the Authorization service to g, which must have been made with ServerOptions
// (NewGRPCServer does).
func (s *Server) Register(g *grpc.Server) { g.RegisterService(&serviceDesc, s) }

// RegisterStandard adds the service with the generated (full-decoding) handler, for a server
// without ServerOptions.
func (s *Server) RegisterStandard(g *grpc.Server) { authv3.RegisterAuthorizationServer(g, s) }

func (s *Server) checkWire(ctx context.Context, req *wireRequest) any {
	start := time.Now()
	res := s.decider.Decide(ctx, decision.Request{Method: req.method, Path: req.path, Headers: req})
	s.metrics.Observe(metrics.ServerGRPC, res.Reason, time.Since(start))
	s.logDenial(ctx, res, req.method, req.path)
	switch {
	case res.Reason == decision.AllowPublic || res.Reason == decision.AllowPreflight:
		return encodedAnonymousOK
	case !res.Reason.Allowed() && res.CORSOrigin == "":
		return encodedDenied[res.Reason]
	case res.Reason == decision.Allow:
		return encodeAllow(res.UserID, res.Provider, res.Operator)
	}
	return Response(res)
}

// encodeAllow writes Response(Allow) by hand, byte for byte what proto.Marshal gives for it
// (TestEncodeAllowMatchesProto), without the reflection.
func encodeAllow(user, provider, operator string) encoded {
	// CheckResponse{status=1: {}, ok_response=3: OkHttpResponse{headers=2..., headers_to_remove=5...}}
	ok := make([]byte, 0, 128+len(user)+len(provider)+len(operator))
	ok = appendHeader(ok, decision.HeaderUserID, user)
	if provider != "" {
		ok = appendHeader(ok, decision.HeaderAuthProvider, provider)
	}
	if operator != "" {
		ok = appendHeader(ok, decision.HeaderOperator, operator)
	}
	if provider == "" {
		ok = protowire.AppendTag(ok, 5, protowire.BytesType)
		ok = protowire.AppendString(ok, decision.HeaderAuthProvider)
	}
	if operator == "" {
		ok = protowire.AppendTag(ok, 5, protowire.BytesType)
		ok = protowire.AppendString(ok, decision.HeaderOperator)
	}
	b := make([]byte, 0, len(ok)+8)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, 0)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, ok)
	return b
}

// appendHeader appends OkHttpResponse.headers (2) = HeaderValueOption{header=1: HeaderValue{key=1,
// value=2}, append_action=3: OVERWRITE_IF_EXISTS_OR_ADD}.
func appendHeader(b []byte, key, value string) []byte {
	hv := make([]byte, 0, 8+len(key)+len(value))
	hv = protowire.AppendTag(hv, 1, protowire.BytesType)
	hv = protowire.AppendString(hv, key)
	hv = protowire.AppendTag(hv, 2, protowire.BytesType)
	hv = protowire.AppendString(hv, value)
	opt := make([]byte, 0, len(hv)+8)
	opt = protowire.AppendTag(opt, 1, protowire.BytesType)
	opt = protowire.AppendBytes(opt, hv)
	opt = protowire.AppendTag(opt, 3, protowire.VarintType)
	opt = protowire.AppendVarint(opt, uint64(corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, opt)
}
