package check

import (
	"fmt"
	"strings"
)

// index is what one render provides: objects by kind, the Services (and ports) that exist
// once the operators have reconciled their resources, the Secrets they write, ConfigMaps,
// Gateways, and the mesh's extension providers.
type index struct {
	byKind     map[string]map[string]object
	services   map[string]bool            // "name.namespace:port"
	secrets    map[string]map[string]bool // "namespace/name" → keys (nil: any key)
	configMaps map[string]map[string]any
	providers  map[string]bool
}

// Secrets and Services the operators create for their resources (their documented names).
var (
	cnpgAppKeys    = []string{"username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass"}
	rabbitUserKeys = []string{"username", "password", "host", "port", "provider", "type", "default_user.conf", "connection_string"}
)

func keySet(keys []string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func newIndex(objs []object, ext External) *index {
	idx := &index{
		byKind: map[string]map[string]object{}, services: map[string]bool{},
		secrets: map[string]map[string]bool{}, configMaps: map[string]map[string]any{},
		providers: map[string]bool{},
	}
	for s := range ext.Services {
		idx.services[s] = true
	}
	for s := range ext.Secrets {
		idx.secrets[s] = nil
	}
	for _, o := range objs {
		if o.raw == nil {
			continue
		}
		name := o.doc.Name
		if idx.byKind[o.kind] == nil {
			idx.byKind[o.kind] = map[string]object{}
		}
		idx.byKind[o.kind][o.ns+"/"+name] = o
		svc := func(n string, ports ...string) {
			for _, p := range ports {
				idx.services[n+"."+o.ns+":"+p] = true
			}
		}
		switch o.kind {
		case "v1/Service":
			ports, _ := dig(o.raw, "spec")["ports"].([]any)
			for _, p := range ports {
				svc(name, fmt.Sprint(p.(map[string]any)["port"]))
			}
		case "serving.knative.dev/v1/Service":
			svc(name, "80")
		case "postgresql.cnpg.io/v1/Cluster":
			svc(name+"-rw", "5432")
			svc(name+"-ro", "5432")
			svc(name+"-r", "5432")
			idx.secrets[o.ns+"/"+name+"-app"] = keySet(cnpgAppKeys)
		case "rabbitmq.com/v1beta1/RabbitmqCluster":
			svc(name, "5672", "15672", "15692")
			idx.secrets[o.ns+"/"+name+"-default-user"] = keySet(rabbitUserKeys)
		case "redis.redis.opstreelabs.in/v1beta2/Redis":
			svc(name, "6379")
		case "redis.redis.opstreelabs.in/v1beta2/RedisReplication":
			svc(name, "6379")
			svc(name+"-master", "6379")
			svc(name+"-replica", "6379")
		case "v1/Secret":
			keys := map[string]bool{}
			for _, f := range []string{"data", "stringData"} {
				for k := range dig(o.raw, f) {
					keys[k] = true
				}
			}
			idx.secrets[o.ns+"/"+name] = keys
		case "v1/ConfigMap":
			idx.configMaps[o.ns+"/"+name] = dig(o.raw, "data")
		case "install.istio.io/v1alpha1/IstioOperator":
			if mc, err := MeshConfigOf(o.doc); err == nil {
				for _, p := range mc.GetExtensionProviders() {
					idx.providers[p.GetName()] = true
				}
			}
		}
	}
	return idx
}

func (idx *index) service(s, defaultPort string) string {
	key := hostPort(s, defaultPort)
	if key == "" || idx.services[key] {
		return ""
	}
	return fmt.Sprintf("%q: no Service %s in this render (nor made by its operators, nor -external-service)", s, key)
}

func (idx *index) secret(ns, name, key string) string {
	keys, ok := idx.secrets[ns+"/"+name]
	if !ok {
		return fmt.Sprintf("Secret %s/%s: not in this render (nor made by its operators, nor -external-secret)", ns, name)
	}
	if key != "" && keys != nil && !keys[key] {
		return fmt.Sprintf("Secret %s/%s has no key %q", ns, name, key)
	}
	return ""
}

func (idx *index) configMap(ns, name, key string) string {
	data, ok := idx.configMaps[ns+"/"+name]
	if !ok {
		return fmt.Sprintf("ConfigMap %s/%s: not in this render", ns, name)
	}
	if _, has := data[key]; key != "" && !has {
		return fmt.Sprintf("ConfigMap %s/%s has no key %q", ns, name, key)
	}
	return ""
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// adder records "field: problem" when problem is not empty.
type adder func(field, problem string)

// refCheckers check the references of one kind of object.
var refCheckers = map[string]func(idx *index, o object, add adder){
	"v1/ConfigMap":                                       (*index).configMapRefs,
	"keda.sh/v1alpha1/TriggerAuthentication":             (*index).triggerAuthRefs,
	"keda.sh/v1alpha1/ScaledObject":                      (*index).scaledObjectRefs,
	"networking.istio.io/v1/VirtualService":              (*index).virtualServiceRefs,
	"networking.istio.io/v1/Gateway":                     (*index).gatewayRefs,
	"security.istio.io/v1/AuthorizationPolicy":           (*index).authzPolicyRefs,
	"install.istio.io/v1alpha1/IstioOperator":            (*index).istioOperatorRefs,
	"eventing.knative.dev/v1alpha1/RabbitmqBrokerConfig": (*index).brokerConfigRefs,
}

func (idx *index) references(o object) []string {
	var p []string
	add := func(field, problem string) {
		if problem != "" {
			p = append(p, field+": "+problem)
		}
	}
	if spec := podSpecOf(o); spec != nil {
		containers, _ := spec["containers"].([]any)
		for i, c := range containers {
			cm, _ := c.(map[string]any)
			idx.containerRefs(o, fmt.Sprintf("containers[%d]", i), cm, add)
		}
	}
	if check, ok := refCheckers[o.kind]; ok {
		check(idx, o, add)
	}
	return p
}

// containerRefs: env values naming cluster hosts, secretKeyRef/configMapKeyRef, envFrom.
func (idx *index) containerRefs(o object, field string, c map[string]any, add adder) {
	envs, _ := c["env"].([]any)
	for _, e := range envs {
		em, _ := e.(map[string]any)
		f := field + ".env." + str(em, "name")
		if v := str(em, "value"); strings.Contains(v, ".svc") {
			add(f, idx.service(v, ""))
		}
		if r := dig(em, "valueFrom", "secretKeyRef"); len(r) > 0 && r["optional"] != true {
			add(f, idx.secret(o.ns, str(r, "name"), str(r, "key")))
		}
		if r := dig(em, "valueFrom", "configMapKeyRef"); len(r) > 0 && r["optional"] != true {
			add(f, idx.configMap(o.ns, str(r, "name"), str(r, "key")))
		}
	}
	froms, _ := c["envFrom"].([]any)
	for _, e := range froms {
		em, _ := e.(map[string]any)
		if r := dig(em, "secretRef"); len(r) > 0 && r["optional"] != true {
			add(field+".envFrom", idx.secret(o.ns, str(r, "name"), ""))
		}
		if r := dig(em, "configMapRef"); len(r) > 0 && r["optional"] != true {
			add(field+".envFrom", idx.configMap(o.ns, str(r, "name"), ""))
		}
	}
}

func (idx *index) configMapRefs(o object, add adder) {
	for k, v := range dig(o.raw, "data") {
		if s, _ := v.(string); strings.Contains(s, ".svc") {
			add("data."+k, idx.service(s, ""))
		}
	}
}

func (idx *index) triggerAuthRefs(o object, add adder) {
	refs, _ := dig(o.raw, "spec")["configMapTargetRef"].([]any)
	for _, r := range refs {
		rm, _ := r.(map[string]any)
		add("spec.configMapTargetRef", idx.configMap(o.ns, str(rm, "name"), str(rm, "key")))
	}
	refs, _ = dig(o.raw, "spec")["secretTargetRef"].([]any)
	for _, r := range refs {
		rm, _ := r.(map[string]any)
		add("spec.secretTargetRef", idx.secret(o.ns, str(rm, "name"), str(rm, "key")))
	}
}

func (idx *index) scaledObjectRefs(o object, add adder) {
	triggers, _ := dig(o.raw, "spec")["triggers"].([]any)
	for i, t := range triggers {
		tm, _ := t.(map[string]any)
		f := fmt.Sprintf("spec.triggers[%d]", i)
		if name := str(dig(tm, "authenticationRef"), "name"); name != "" {
			if _, ok := idx.byKind["keda.sh/v1alpha1/TriggerAuthentication"][o.ns+"/"+name]; !ok {
				add(f+".authenticationRef", "no TriggerAuthentication "+o.ns+"/"+name+" in this render")
			}
		}
		for _, k := range []string{"serverAddress", "address", "host"} {
			if v := str(dig(tm, "metadata"), k); v != "" {
				add(f+".metadata."+k, idx.service(v, ""))
			}
		}
	}
}

func (idx *index) virtualServiceRefs(o object, add adder) {
	gws, _ := dig(o.raw, "spec")["gateways"].([]any)
	for _, g := range gws {
		key := fmt.Sprint(g)
		if key == "mesh" {
			continue
		}
		if !strings.Contains(key, "/") {
			key = o.ns + "/" + key
		}
		if _, ok := idx.byKind["networking.istio.io/v1/Gateway"][key]; !ok {
			add("spec.gateways", "no Gateway "+key+" in this render")
		}
	}
	routes, _ := dig(o.raw, "spec")["http"].([]any)
	for i, r := range routes {
		rm, _ := r.(map[string]any)
		// A route through Knative's local gateway names its Service by authority.
		if key := hostPort(str(dig(rm, "rewrite"), "authority"), "80"); key != "" {
			name, ns, _ := strings.Cut(strings.SplitN(key, ":", 2)[0], ".")
			if _, ok := idx.byKind["serving.knative.dev/v1/Service"][ns+"/"+name]; !ok {
				add(fmt.Sprintf("spec.http[%d].rewrite.authority", i), "no Knative Service "+ns+"/"+name+" in this render")
			}
		}
		dests, _ := rm["route"].([]any)
		for _, d := range dests {
			dest := dig(d.(map[string]any), "destination")
			port := fmt.Sprint(dig(dest, "port")["number"])
			add(fmt.Sprintf("spec.http[%d].route.destination", i), idx.service(str(dest, "host")+":"+port, ""))
		}
	}
}

// gatewayRefs: the TLS Secret lives with the gateway's pods (istio-system), not the Gateway.
func (idx *index) gatewayRefs(o object, add adder) {
	servers, _ := dig(o.raw, "spec")["servers"].([]any)
	for i, s := range servers {
		if name := str(dig(s.(map[string]any), "tls"), "credentialName"); name != "" {
			add(fmt.Sprintf("spec.servers[%d].tls.credentialName", i), idx.secret("istio-system", name, ""))
		}
	}
}

func (idx *index) authzPolicyRefs(o object, add adder) {
	if str(dig(o.raw, "spec"), "action") != "CUSTOM" {
		return
	}
	if name := str(dig(o.raw, "spec", "provider"), "name"); !idx.providers[name] {
		add("spec.provider.name", fmt.Sprintf("%q is not an extensionProvider of the mesh config (IstioOperator) in this render", name))
	}
}

func (idx *index) istioOperatorRefs(o object, add adder) {
	mc, err := MeshConfigOf(o.doc)
	if err != nil {
		return // reported by the kind's own check
	}
	for _, prov := range mc.GetExtensionProviders() {
		if g := prov.GetEnvoyExtAuthzGrpc(); g != nil {
			add("extensionProviders."+prov.GetName(), idx.service(fmt.Sprintf("%s:%d", g.GetService(), g.GetPort()), ""))
		}
	}
}

func (idx *index) brokerConfigRefs(o object, add adder) {
	ref := dig(o.raw, "spec", "rabbitmqClusterReference")
	ns := str(ref, "namespace")
	if ns == "" {
		ns = o.ns
	}
	if _, ok := idx.byKind["rabbitmq.com/v1beta1/RabbitmqCluster"][ns+"/"+str(ref, "name")]; !ok {
		add("spec.rabbitmqClusterReference", "no RabbitmqCluster "+ns+"/"+str(ref, "name")+" in this render")
	}
}
