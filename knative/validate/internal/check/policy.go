package check

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// The cluster's rules (ADR 0017), checked across every document of one render:
//
//   - node pools: a nodeSelector, toleration or node-affinity term on `eco2.kr/pool` names
//     one of the six pools; every eco2 workload is placed on the pool of its kind;
//   - KEDA: a ScaledObject scales only a pull consumer (an apps/v1 Deployment labelled
//     eco2.kr/kind=persistent in the same render), never a Knative Service;
//   - references: Secrets, ConfigMaps, TriggerAuthentications, Gateways, the ext-authz
//     provider and every cluster-local host:port in a setting resolve to something the
//     render (or its operators, or the -external list) provides.

// PoolLabel is the node label (and taint key) of every pool.
const PoolLabel = "eco2.kr/pool"

// Pools are the node pools terraform/ creates; nothing may be placed elsewhere.
var Pools = map[string]bool{
	"control-plane": true, "ingress": true, "api": true,
	"workers": true, "data": true, "observability": true,
}

// kindPool is the pool a workload of each eco2.kr/kind label runs on.
var kindPool = map[string]string{"http": "api", "grpc": "api", "event": "workers"}

// External are things the render relies on but does not create.
type External struct {
	Secrets  map[string]bool // "namespace/name"
	Services map[string]bool // "name.namespace:port"
}

type object struct {
	doc  Document
	raw  map[string]any
	ns   string
	kind string
}

// Policy returns the policy problems of each document, by position in docs.
func Policy(docs []Document, defaultNamespace string, ext External) map[int][]string {
	var objs []object
	for _, d := range docs {
		var raw map[string]any
		if d.Err != nil || json.Unmarshal(d.JSON, &raw) != nil {
			objs = append(objs, object{doc: d})
			continue
		}
		ns := d.Namespace
		if ns == "" {
			ns = defaultNamespace
		}
		objs = append(objs, object{doc: d, raw: raw, ns: ns, kind: d.APIVersion + "/" + d.Kind})
	}
	idx := newIndex(objs, ext)
	out := map[int][]string{}
	for i, o := range objs {
		if o.raw == nil {
			continue
		}
		var p []string
		p = append(p, pools(o)...)
		p = append(p, placementOf(o)...)
		p = append(p, keda(o, idx)...)
		p = append(p, idx.references(o)...)
		if len(p) > 0 {
			out[i] = append(out[i], p...)
		}
	}
	return out
}

// pools walks the whole document for pool names.
func pools(o object) []string {
	var problems []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch t := v.(type) {
		case map[string]any:
			if sel, ok := t["nodeSelector"].(map[string]any); ok {
				if p, ok := sel[PoolLabel]; ok && !Pools[fmt.Sprint(p)] {
					problems = append(problems, fmt.Sprintf("%s.nodeSelector: unknown pool %q", path, p))
				}
			}
			if t["key"] == PoolLabel {
				if v, ok := t["value"]; ok && !Pools[fmt.Sprint(v)] {
					problems = append(problems, fmt.Sprintf("%s: unknown pool %q", path, v))
				}
				if vs, ok := t["values"].([]any); ok {
					for _, v := range vs {
						if !Pools[fmt.Sprint(v)] {
							problems = append(problems, fmt.Sprintf("%s.values: unknown pool %q", path, v))
						}
					}
				}
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(path+"."+k, t[k])
			}
		case []any:
			for i, e := range t {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", o.raw)
	return problems
}

// podSpecOf is the pod template's spec of a Deployment or a Knative Service.
func podSpecOf(o object) map[string]any {
	switch o.kind {
	case "apps/v1/Deployment", "serving.knative.dev/v1/Service":
		return dig(o.raw, "spec", "template", "spec")
	}
	return nil
}

// placementOf requires every eco2 pod to select one pool and tolerate that pool's taint,
// and a function's pool to be its kind's.
func placementOf(o object) []string {
	spec := podSpecOf(o)
	if spec == nil {
		return nil
	}
	sel, _ := dig(spec, "nodeSelector")[PoolLabel].(string)
	if sel == "" {
		return []string{"spec.template.spec.nodeSelector: no " + PoolLabel + " (every workload runs on a pool)"}
	}
	tolerated := false
	tols, _ := spec["tolerations"].([]any)
	for _, t := range tols {
		m, _ := t.(map[string]any)
		if m["key"] == PoolLabel && m["value"] == sel && m["effect"] == "NoSchedule" {
			tolerated = true
		}
	}
	var problems []string
	if !tolerated {
		problems = append(problems, fmt.Sprintf("spec.template.spec.tolerations: pool %q selected but its taint %s=%s:NoSchedule not tolerated", sel, PoolLabel, sel))
	}
	kind, _ := dig(o.raw, "metadata", "labels")["eco2.kr/kind"].(string)
	if want, ok := kindPool[kind]; ok && want != sel {
		problems = append(problems, fmt.Sprintf("a %s workload runs on pool %q, not %q", kind, want, sel))
	}
	return problems
}

// keda: a ScaledObject aims only at a pull consumer's Deployment.
func keda(o object, idx *index) []string {
	if o.kind != "keda.sh/v1alpha1/ScaledObject" {
		return nil
	}
	ref := dig(o.raw, "spec", "scaleTargetRef")
	api, _ := ref["apiVersion"].(string)
	kind, _ := ref["kind"].(string)
	name, _ := ref["name"].(string)
	if api == "" {
		api = "apps/v1"
	}
	if kind == "" {
		kind = "Deployment"
	}
	if strings.HasPrefix(api, "serving.knative.dev/") {
		return []string{fmt.Sprintf("spec.scaleTargetRef: %s %s/%s is a Knative Service: Knative scales it (KPA); KEDA only scales pull consumers", api, kind, name)}
	}
	if api != "apps/v1" || kind != "Deployment" {
		return []string{fmt.Sprintf("spec.scaleTargetRef: %s %s is not a pull consumer's Deployment", api, kind)}
	}
	target, ok := idx.byKind["apps/v1/Deployment"][o.ns+"/"+name]
	if !ok {
		return []string{fmt.Sprintf("spec.scaleTargetRef: no Deployment %s/%s in this render", o.ns, name)}
	}
	if l, _ := dig(target.raw, "metadata", "labels")["eco2.kr/kind"].(string); l != "persistent" {
		return []string{fmt.Sprintf("spec.scaleTargetRef: Deployment %s/%s is not a pull consumer (label eco2.kr/kind=persistent)", o.ns, name)}
	}
	return nil
}

// dig walks nested maps; a missing step gives an empty map.
func dig(m map[string]any, keys ...string) map[string]any {
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return map[string]any{}
		}
		cur = next
	}
	return cur
}

// hostPort splits a URL or host:port into a cluster-local service key "name.namespace:port",
// or "" when the host is not a cluster Service name.
func hostPort(s, defaultPort string) string {
	host := s
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		host = u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), defaultPortOf(u.Scheme, defaultPort))
		}
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h, p = host, defaultPort
	}
	h = strings.TrimSuffix(strings.TrimSuffix(h, "."), ".cluster.local")
	h = strings.TrimSuffix(h, ".svc")
	parts := strings.Split(h, ".")
	if len(parts) != 2 || !strings.Contains(s, ".svc") {
		return ""
	}
	return parts[0] + "." + parts[1] + ":" + p
}

func defaultPortOf(scheme, fallback string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	case "redis":
		return "6379"
	case "amqp":
		return "5672"
	case "postgresql", "postgres":
		return "5432"
	}
	return fallback
}
