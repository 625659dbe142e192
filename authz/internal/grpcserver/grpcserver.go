// Package grpcserver serves the decision as Envoy's ext_authz v3 gRPC Authorization service.
package grpcserver

import (
	"context"
	"log/slog"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"

	"eco2/authz/internal/decision"
	"eco2/authz/internal/metrics"
)

// Decider is the decision engine.
type Decider interface {
	Decide(ctx context.Context, req decision.Request) decision.Result
}

// Server implements authv3.AuthorizationServer.
type Server struct {
	authv3.UnimplementedAuthorizationServer
	decider Decider
	metrics *metrics.Metrics
	log     *slog.Logger
}

// Option configures a Server.
type Option func(*Server)

// WithMetrics records decisions.
func WithMetrics(m *metrics.Metrics) Option { return func(s *Server) { s.metrics = m } }

// WithLogger sets the logger (denials are logged at debug level).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New returns a server deciding with d.
func New(d Decider, opts ...Option) *Server {
	s := &Server{decider: d, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Check implements the ext_authz v3 Check on a fully decoded request (RegisterStandard; the
// fast path of Register gives the same answers from a partial decode).
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	start := time.Now()
	h := req.GetAttributes().GetRequest().GetHttp()
	hdrs := h.GetHeaders()
	if len(hdrs) == 0 && h.GetHeaderMap() != nil {
		hdrs = fromHeaderMap(h.GetHeaderMap())
	}
	method, path := h.GetMethod(), h.GetPath()
	if method == "" {
		method = hdrs[":method"]
	}
	if path == "" {
		path = hdrs[":path"]
	}
	res := s.decider.Decide(ctx, decision.Request{Method: method, Path: path, Headers: decision.MapHeaders(hdrs)})
	s.metrics.Observe(metrics.ServerGRPC, res.Reason, time.Since(start))
	s.logDenial(ctx, res, method, path)
	return Response(res), nil
}

func (s *Server) logDenial(ctx context.Context, res decision.Result, method, path string) {
	if !res.Reason.Allowed() && s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("denied", "server", "grpc", "reason", res.Reason.String(), "method", method, "path", path)
	}
}

// fromHeaderMap folds Envoy's raw header map (encode_raw_headers) into the map form; repeated
// headers are joined with "," as Envoy does for the map form.
func fromHeaderMap(hm *corev3.HeaderMap) map[string]string {
	m := make(map[string]string, len(hm.GetHeaders()))
	for _, hv := range hm.GetHeaders() {
		v := hv.GetValue()
		if v == "" && len(hv.GetRawValue()) > 0 {
			v = string(hv.GetRawValue())
		}
		if old, ok := m[hv.GetKey()]; ok {
			v = old + "," + v
		}
		m[hv.GetKey()] = v
	}
	return m
}

var (
	okStatus = &rpcstatus.Status{Code: int32(codes.OK)}
	// Public paths and preflights: pass, removing any client-supplied identity.
	anonymousOK = &authv3.CheckResponse{
		Status: okStatus,
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
			HeadersToRemove: decision.IdentityHeaders,
		}},
	}
	denied = func() map[decision.Reason]*authv3.CheckResponse {
		m := map[decision.Reason]*authv3.CheckResponse{}
		for _, r := range decision.Reasons() {
			if !r.Allowed() {
				m[r] = deniedResponse(r, "")
			}
		}
		return m
	}()
)

func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}

func deniedResponse(r decision.Reason, origin string) *authv3.CheckResponse {
	code := codes.PermissionDenied
	if r == decision.Unavailable {
		code = codes.Unavailable
	}
	hdrs := []*corev3.HeaderValueOption{header("content-type", "application/json")}
	if origin != "" {
		hdrs = append(hdrs,
			header("access-control-allow-origin", origin),
			header("access-control-allow-credentials", "true"),
			header("vary", "Origin"))
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(code), Message: r.Code()},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(r.Status())},
			Headers: hdrs,
			Body:    string(r.Body()),
		}},
	}
}

// Response converts a decision into the CheckResponse Envoy expects. Denials carry the HTTP
// status, the JSON body and (for allow-listed origins) the CORS headers; allows set the
// identity headers upstream, overwriting whatever the client sent, or remove them.
func Response(res decision.Result) *authv3.CheckResponse {
	switch res.Reason {
	case decision.Allow:
		ok := &authv3.OkHttpResponse{Headers: []*corev3.HeaderValueOption{header(decision.HeaderUserID, res.UserID)}}
		if res.Provider != "" {
			ok.Headers = append(ok.Headers, header(decision.HeaderAuthProvider, res.Provider))
		} else {
			ok.HeadersToRemove = []string{decision.HeaderAuthProvider}
		}
		if res.Operator != "" {
			ok.Headers = append(ok.Headers, header(decision.HeaderOperator, res.Operator))
		} else {
			ok.HeadersToRemove = append(ok.HeadersToRemove, decision.HeaderOperator)
		}
		return &authv3.CheckResponse{Status: okStatus, HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok}}
	case decision.AllowPublic, decision.AllowPreflight:
		return anonymousOK
	}
	if res.CORSOrigin != "" {
		return deniedResponse(res.Reason, res.CORSOrigin)
	}
	return denied[res.Reason]
}
