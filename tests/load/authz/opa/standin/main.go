// Command opastandin is the comparison point for the authz benchmark when the OPA-Envoy plugin
// itself cannot be built here (the Go module proxy refuses github.com/open-policy-agent/
// opa-envoy-plugin). It is NOT the plugin: it runs the OPA engine (github.com/open-policy-agent/
// opa, the library the plugin embeds) behind an Envoy ext_authz v3 gRPC server, and does per
// check what the plugin's hot path does: the CheckRequest to JSON input (protojson, plus
// parsed_path / parsed_query), one evaluation of a prepared query with the input as an AST
// value, and the result object turned into a CheckResponse. Same policy file as the plugin run
// (../policy.rego), same data (JWKS + denylist), io.jwt verification cache enabled as in
// ../config.yaml. Benchmark use only; loopback only.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown/cache"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
)

type server struct {
	authv3.UnimplementedAuthorizationServer
	query rego.PreparedEvalQuery
	cache cache.InterQueryValueCache
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9191", "gRPC listen address (loopback)")
	policy := flag.String("policy", "", "rego policy file")
	dataFile := flag.String("data", "", "data JSON document")
	query := flag.String("query", "data.envoy.authz.result", "decision query")
	jwtCache := flag.Int("jwt-cache", 65536, "io_jwt inter-query cache entries (0: off)")
	flag.Parse()
	pol, err := os.ReadFile(*policy)
	if err != nil {
		log.Fatal(err)
	}
	raw, err := os.ReadFile(*dataFile)
	if err != nil {
		log.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	pq, err := rego.New(rego.Query(*query), rego.Module("policy.rego", string(pol)), rego.Store(inmem.NewFromObject(data))).PrepareForEval(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s := &server{query: pq}
	if *jwtCache > 0 {
		cfg, err := cache.ParseCachingConfig([]byte(fmt.Sprintf(`{"inter_query_builtin_value_cache":{"named":{"io_jwt":{"max_num_entries":%d,"disabled":false}}}}`, *jwtCache)))
		if err != nil {
			log.Fatal(err)
		}
		s.cache = cache.NewInterQueryValueCache(ctx, cfg)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	g := grpc.NewServer()
	authv3.RegisterAuthorizationServer(g, s)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; g.Stop() }()
	log.Printf("opastandin listening on %s", ln.Addr())
	if err := g.Serve(ln); err != nil {
		log.Fatal(err)
	}
}

// input mirrors the plugin's: the CheckRequest as JSON, plus parsed_path and parsed_query.
func input(req *authv3.CheckRequest) (ast.Value, error) {
	b, err := protojson.Marshal(req)
	if err != nil {
		return nil, err
	}
	var in map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, err
	}
	p := req.GetAttributes().GetRequest().GetHttp().GetPath()
	u, err := url.Parse(p)
	if err == nil {
		var parts []any
		for _, s := range strings.Split(strings.TrimLeft(u.Path, "/"), "/") {
			parts = append(parts, s)
		}
		in["parsed_path"] = parts
		q := map[string]any{}
		for k, vs := range u.Query() {
			var l []any
			for _, v := range vs {
				l = append(l, v)
			}
			q[k] = l
		}
		in["parsed_query"] = q
	}
	in["truncated_body"] = false
	return ast.InterfaceToValue(in)
}

func (s *server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	in, err := input(req)
	if err != nil {
		return nil, err
	}
	opts := []rego.EvalOption{rego.EvalParsedInput(in)}
	if s.cache != nil {
		opts = append(opts, rego.EvalInterQueryBuiltinValueCache(s.cache))
	}
	rs, err := s.query.Eval(ctx, opts...)
	if err != nil {
		return nil, err
	}
	var res map[string]any
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		res, _ = rs[0].Expressions[0].Value.(map[string]any)
	}
	hdrs := func() []*corev3.HeaderValueOption {
		var out []*corev3.HeaderValueOption
		if h, ok := res["headers"].(map[string]any); ok {
			for k, v := range h {
				out = append(out, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: fmt.Sprint(v)},
					AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD})
			}
		}
		return out
	}
	if allowed, _ := res["allowed"].(bool); allowed {
		return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{Headers: hdrs()}}}, nil
	}
	status := 403
	if n, ok := res["http_status"].(json.Number); ok {
		if v, err := n.Int64(); err == nil {
			status = int(v)
		}
	}
	body, _ := res["body"].(string)
	return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.PermissionDenied)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode(status)}, Headers: hdrs(), Body: body}}}, nil
}
