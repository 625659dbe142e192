package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	cnpgv1 "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	rabbitmqv1beta1 "github.com/rabbitmq/cluster-operator/v2/api/v1beta1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The cluster's static parts (knative/cluster, ADR 0017): Istio, the ext-authz's HPA and
// PDB, and the operators' resources. Each is strictly decoded into its upstream Go type
// (Istio's specs with protojson, which rejects unknown fields); the Redis operator's module
// is not served by the Go module proxy, so its resource gets a documented structural check.

var (
	gvGateway         = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "Gateway"}
	gvVirtualService  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	gvDestinationRule = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
	gvAuthzPolicy     = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
	gvIstioOperator   = schema.GroupVersionKind{Group: "install.istio.io", Version: "v1alpha1", Kind: "IstioOperator"}
	gvCNPGCluster     = cnpgv1.SchemeGroupVersion.WithKind("Cluster")
	gvRabbitmqCluster = rabbitmqv1beta1.GroupVersion.WithKind("RabbitmqCluster")
	gvRedis           = schema.GroupVersionKind{Group: "redis.redis.opstreelabs.in", Version: "v1beta2", Kind: "RedisReplication"}
	gvTriggerAuth     = schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "TriggerAuthentication"}
	gvHPA             = autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler")
	gvPDB             = policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget")
	gvNamespace       = corev1.SchemeGroupVersion.WithKind("Namespace")
)

func clusterHandlers() map[schema.GroupVersionKind]handler {
	return map[schema.GroupVersionKind]handler{
		gvGateway:         {custom: istio(func() proto.Message { return &networkingv1alpha3.Gateway{} }, nil)},
		gvVirtualService:  {custom: istio(func() proto.Message { return &networkingv1alpha3.VirtualService{} }, virtualServiceRules)},
		gvDestinationRule: {custom: istio(func() proto.Message { return &networkingv1alpha3.DestinationRule{} }, nil)},
		gvAuthzPolicy:     {custom: istio(func() proto.Message { return &securityv1beta1.AuthorizationPolicy{} }, authzPolicyRules)},
		gvIstioOperator:   {custom: validateIstioOperator},
		gvCNPGCluster:     {custom: typed(func() any { return &cnpgv1.Cluster{} }, cnpgRules)},
		gvRabbitmqCluster: {custom: typed(func() any { return &rabbitmqv1beta1.RabbitmqCluster{} }, rabbitmqRules)},
		gvRedis:           {custom: typed(func() any { return &otRedisReplication{} }, redisRules)},
		gvTriggerAuth:     {custom: typed(func() any { return &kedav1alpha1.TriggerAuthentication{} }, triggerAuthRules)},
		gvHPA:             {custom: typed(func() any { return &autoscalingv2.HorizontalPodAutoscaler{} }, hpaRules)},
		gvPDB:             {custom: typed(func() any { return &policyv1.PodDisruptionBudget{} }, pdbRules)},
		gvNamespace:       {custom: typed(func() any { return &corev1.Namespace{} }, nil)},
	}
}

// typed strictly decodes into an upstream Go type, then runs the given rules on it.
func typed(mk func() any, rules func(obj any) []string) func(context.Context, Document) ([]string, error) {
	return func(_ context.Context, doc Document) ([]string, error) {
		obj := mk()
		if err := strictDecode(doc.JSON, obj); err != nil {
			return nil, err
		}
		var problems []string
		if m, ok := obj.(metav1.Object); ok {
			problems = append(problems, dns1123("metadata.name", m.GetName())...)
		}
		if rules != nil {
			problems = append(problems, rules(obj)...)
		}
		return nil, joined(problems)
	}
}

// envelope is every Istio resource: Kubernetes metadata around a protobuf spec.
type envelope struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            json.RawMessage   `json:"spec"`
}

// istio decodes spec with protojson (unknown fields are errors, unlike Istio's own
// UnmarshalJSON, which allows them) into istio.io/api's message.
func istio(mk func() proto.Message, rules func(proto.Message) []string) func(context.Context, Document) ([]string, error) {
	return func(_ context.Context, doc Document) ([]string, error) {
		var env envelope
		if err := strictDecode(doc.JSON, &env); err != nil {
			return nil, err
		}
		msg := mk()
		if err := protojson.Unmarshal(env.Spec, msg); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		problems := dns1123("metadata.name", env.Metadata.Name)
		if rules != nil {
			problems = append(problems, rules(msg)...)
		}
		return nil, joined(problems)
	}
}

func dns1123(field, name string) []string {
	if name == "" {
		return []string{field + ": Required value"}
	}
	return messages(field, validation.IsDNS1123Subdomain(name))
}

func virtualServiceRules(m proto.Message) []string {
	vs := m.(*networkingv1alpha3.VirtualService)
	var problems []string
	if len(vs.GetHosts()) == 0 {
		problems = append(problems, "spec.hosts: Required value")
	}
	for i, r := range vs.GetHttp() {
		if len(r.GetRoute()) == 0 && r.GetRedirect() == nil && r.GetDirectResponse() == nil {
			problems = append(problems, fmt.Sprintf("spec.http[%d]: a route, redirect or directResponse is required", i))
		}
		for j, d := range r.GetRoute() {
			if d.GetDestination().GetHost() == "" {
				problems = append(problems, fmt.Sprintf("spec.http[%d].route[%d].destination.host: Required value", i, j))
			}
		}
	}
	return problems
}

func authzPolicyRules(m proto.Message) []string {
	p := m.(*securityv1beta1.AuthorizationPolicy)
	if p.GetAction() == securityv1beta1.AuthorizationPolicy_CUSTOM && p.GetProvider().GetName() == "" {
		return []string{"spec.provider.name: Required value for action CUSTOM"}
	}
	if p.GetAction() != securityv1beta1.AuthorizationPolicy_CUSTOM && p.GetProvider() != nil {
		return []string{"spec.provider: only allowed with action CUSTOM"}
	}
	return nil
}

// istioOperatorSpec is the part of install.istio.io/v1alpha1 IstioOperator used here
// (istio.io/istio's operator types are not importable as a library): top-level keys are
// checked against this list, meshConfig is decoded strictly into istio.io/api's MeshConfig.
type istioOperatorSpec struct {
	Profile    string          `json:"profile,omitempty"`
	Hub        string          `json:"hub,omitempty"`
	Tag        json.RawMessage `json:"tag,omitempty"`
	Revision   string          `json:"revision,omitempty"`
	Namespace  string          `json:"namespace,omitempty"`
	MeshConfig json.RawMessage `json:"meshConfig,omitempty"`
	Components json.RawMessage `json:"components,omitempty"`
	Values     json.RawMessage `json:"values,omitempty"`
}

// MeshConfigOf returns an IstioOperator document's meshConfig (nil if none).
func MeshConfigOf(doc Document) (*meshv1alpha1.MeshConfig, error) {
	var env envelope
	if err := strictDecode(doc.JSON, &env); err != nil {
		return nil, err
	}
	var spec istioOperatorSpec
	if err := strictDecode(env.Spec, &spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	mc := &meshv1alpha1.MeshConfig{}
	if len(spec.MeshConfig) > 0 {
		if err := protojson.Unmarshal(spec.MeshConfig, mc); err != nil {
			return nil, fmt.Errorf("spec.meshConfig: %w", err)
		}
	}
	return mc, nil
}

func validateIstioOperator(_ context.Context, doc Document) ([]string, error) {
	mc, err := MeshConfigOf(doc)
	if err != nil {
		return nil, err
	}
	var problems []string
	for i, p := range mc.GetExtensionProviders() {
		if p.GetName() == "" {
			problems = append(problems, fmt.Sprintf("spec.meshConfig.extensionProviders[%d].name: Required value", i))
		}
		if g := p.GetEnvoyExtAuthzGrpc(); g != nil && (g.GetService() == "" || g.GetPort() == 0) {
			problems = append(problems, fmt.Sprintf("spec.meshConfig.extensionProviders[%d].envoyExtAuthzGrpc: service and port are required", i))
		}
	}
	return nil, joined(problems)
}

func cnpgRules(obj any) []string {
	c := obj.(*cnpgv1.Cluster)
	var problems []string
	if c.Spec.Instances < 1 {
		problems = append(problems, "spec.instances: must be >= 1")
	}
	if c.Spec.ImageName == "" && c.Spec.ImageCatalogRef == nil {
		problems = append(problems, "spec.imageName: Required value (the PostGIS image)")
	}
	if c.Spec.StorageConfiguration.Size == "" && c.Spec.StorageConfiguration.PersistentVolumeClaimTemplate == nil {
		problems = append(problems, "spec.storage.size: Required value")
	}
	return problems
}

func rabbitmqRules(obj any) []string {
	r := obj.(*rabbitmqv1beta1.RabbitmqCluster)
	if r.Spec.Replicas != nil && *r.Spec.Replicas < 1 {
		return []string{"spec.replicas: must be >= 1"}
	}
	return nil
}

func triggerAuthRules(obj any) []string {
	t := obj.(*kedav1alpha1.TriggerAuthentication)
	var problems []string
	for i, r := range t.Spec.ConfigMapTargetRef {
		if r.Parameter == "" || r.Name == "" || r.Key == "" {
			problems = append(problems, fmt.Sprintf("spec.configMapTargetRef[%d]: parameter, name and key are required", i))
		}
	}
	for i, r := range t.Spec.SecretTargetRef {
		if r.Parameter == "" || r.Name == "" || r.Key == "" {
			problems = append(problems, fmt.Sprintf("spec.secretTargetRef[%d]: parameter, name and key are required", i))
		}
	}
	return problems
}

func hpaRules(obj any) []string {
	h := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	var problems []string
	if h.Spec.ScaleTargetRef.Name == "" || h.Spec.ScaleTargetRef.Kind == "" {
		problems = append(problems, "spec.scaleTargetRef: kind and name are required")
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas < 1 {
		problems = append(problems, "spec.minReplicas: must be >= 1")
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		problems = append(problems, "spec.maxReplicas: must be >= minReplicas")
	}
	if len(h.Spec.Metrics) == 0 {
		problems = append(problems, "spec.metrics: Required value")
	}
	return problems
}

func pdbRules(obj any) []string {
	p := obj.(*policyv1.PodDisruptionBudget)
	if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
		return []string{"spec: exactly one of minAvailable and maxUnavailable"}
	}
	if p.Spec.Selector == nil || len(p.Spec.Selector.MatchLabels)+len(p.Spec.Selector.MatchExpressions) == 0 {
		return []string{"spec.selector: Required value"}
	}
	return nil
}

// otRedisReplication is the subset of OT-Container-Kit redis-operator's RedisReplication
// (v1beta2, operator >= v0.24: Sentinel embedded) these manifests use, field names as in its
// api/redisreplication/v1beta2; anything outside it is refused (strict decode).
type otRedisReplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ClusterSize      *int32       `json:"clusterSize"`
		KubernetesConfig otKubeConfig `json:"kubernetesConfig"`
		RedisConfig      *struct {
			AdditionalRedisConfig string `json:"additionalRedisConfig,omitempty"` // a ConfigMap's name
		} `json:"redisConfig,omitempty"`
		RedisExporter *struct {
			Enabled bool   `json:"enabled"`
			Image   string `json:"image"`
		} `json:"redisExporter,omitempty"`
		Storage *struct {
			VolumeClaimTemplate corev1.PersistentVolumeClaim `json:"volumeClaimTemplate"`
		} `json:"storage,omitempty"`
		NodeSelector       map[string]string          `json:"nodeSelector,omitempty"`
		Tolerations        []corev1.Toleration        `json:"tolerations,omitempty"`
		Affinity           *corev1.Affinity           `json:"affinity,omitempty"`
		PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`
		Sentinel           *struct {
			otKubeConfig          `json:",inline"`
			Size                  int32               `json:"size"`
			Quorum                string              `json:"quorum,omitempty"`
			ParallelSyncs         string              `json:"parallelSyncs,omitempty"`
			FailoverTimeout       string              `json:"failoverTimeout,omitempty"`
			DownAfterMilliseconds string              `json:"downAfterMilliseconds,omitempty"`
			NodeSelector          map[string]string   `json:"nodeSelector,omitempty"`
			Tolerations           []corev1.Toleration `json:"tolerations,omitempty"`
			Affinity              *corev1.Affinity    `json:"affinity,omitempty"`
		} `json:"sentinel,omitempty"`
	} `json:"spec"`
}

type otKubeConfig struct {
	Image           string                       `json:"image"`
	ImagePullPolicy corev1.PullPolicy            `json:"imagePullPolicy,omitempty"`
	Resources       *corev1.ResourceRequirements `json:"resources,omitempty"`
}

func redisRules(obj any) []string {
	r := obj.(*otRedisReplication)
	var problems []string
	if r.Spec.ClusterSize == nil || *r.Spec.ClusterSize < 1 {
		problems = append(problems, "spec.clusterSize: Required value, >= 1")
	}
	if r.Spec.KubernetesConfig.Image == "" {
		problems = append(problems, "spec.kubernetesConfig.image: Required value")
	}
	if s := r.Spec.Sentinel; s != nil {
		if s.Image == "" || s.Size < 1 {
			problems = append(problems, "spec.sentinel: image and size >= 1 are required")
		}
		if q, err := strconv.Atoi(s.Quorum); s.Quorum != "" && (err != nil || q < 1 || q > int(s.Size)) {
			problems = append(problems, fmt.Sprintf("spec.sentinel.quorum: %q must be a number within 1..size", s.Quorum))
		}
	}
	return problems
}
