// Package check validates Kubernetes manifests against the upstream Knative
// API types and their webhook validation code (SetDefaults + Validate), the
// same code the Knative admission webhooks run when the objects are created.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"knative.dev/pkg/apis"
	"knative.dev/pkg/logging"

	rabbitv1alpha1 "knative.dev/eventing-rabbitmq/pkg/apis/eventing/v1alpha1"
	eventingcfg "knative.dev/eventing/pkg/apis/config"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	eventingv1beta2 "knative.dev/eventing/pkg/apis/eventing/v1beta2"
	eventingv1beta3 "knative.dev/eventing/pkg/apis/eventing/v1beta3"
	"knative.dev/eventing/pkg/apis/feature"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	eventingfake "knative.dev/eventing/pkg/client/clientset/versioned/fake"
	eventingclient "knative.dev/eventing/pkg/client/injection/client"
	servingcfg "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	ascfg "knative.dev/serving/pkg/autoscaler/config"
)

// upstreamDefaultBrConfig is the default-br-config key of eventing's shipped
// config-br-defaults ConfigMap (config/core/configmaps/default-broker.yaml).
// It only matters for Brokers without spec.config.
const upstreamDefaultBrConfig = `clusterDefault:
  brokerClass: MTChannelBasedBroker
  apiVersion: v1
  kind: ConfigMap
  name: config-br-default-channel
  namespace: knative-eventing
  delivery:
    retry: 10
    backoffPolicy: exponential
    backoffDelay: PT0.2S
`

// Options tune the validation context.
type Options struct {
	// DefaultNamespace is given to namespaced objects without
	// metadata.namespace, as `kubectl apply` would with the current context.
	DefaultNamespace string
	// EventingFeatures override entries of eventing's config-features
	// ConfigMap (defaults are upstream's, plus new-trigger-filters=enabled).
	EventingFeatures map[string]string
	// Policy runs the cluster's rules across the documents (pools, KEDA targets,
	// references; policy.go), which only hold for a complete render.
	Policy bool
	// External lists the Secrets and Services the documents use without creating them.
	External External
}

// Result is the outcome for one document.
type Result struct {
	Doc      Document
	Err      error
	Warnings []string
}

// OK reports whether the document passed.
func (r Result) OK() bool { return r.Err == nil }

func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("FAIL %s %s: %s", r.Doc.Ref(), r.Doc.KindName(), oneLine(r.Err.Error()))
	}
	return fmt.Sprintf("OK %s %s", r.Doc.Ref(), r.Doc.KindName())
}

// validatable is what the Knative admission webhooks operate on
// (resourcesemantics.GenericCRD without the runtime.Object part).
type validatable interface {
	apis.Defaultable
	apis.Validatable
	metav1.Object
}

// handler validates one apiVersion/kind.
type handler struct {
	// objects: the first is decoded strictly from the document; the others
	// are further admission webhooks registered for the same kind (e.g. the
	// RabbitMQ broker's webhook for Broker/Trigger); they receive the object
	// as defaulted by the first one.
	objects []func() runtime.Object
	// custom replaces the typed path entirely (used for ScaledObject).
	custom func(ctx context.Context, doc Document) (warnings []string, err error)
	// clusterScoped objects get no default namespace.
	clusterScoped bool
	// schemaOnly checks constraints that only the CRD's openAPIV3Schema
	// enforces (no webhook code exists for them); run after defaulting.
	schemaOnly func(obj runtime.Object) error
}

var (
	gvService              = schema.GroupVersionKind{Group: "serving.knative.dev", Version: "v1", Kind: "Service"}
	gvBroker               = eventingv1.SchemeGroupVersion.WithKind("Broker")
	gvTrigger              = eventingv1.SchemeGroupVersion.WithKind("Trigger")
	gvPingSource           = sourcesv1.SchemeGroupVersion.WithKind("PingSource")
	gvEventTypeV1beta2     = eventingv1beta2.SchemeGroupVersion.WithKind("EventType")
	gvEventTypeV1beta3     = eventingv1beta3.SchemeGroupVersion.WithKind("EventType")
	gvRabbitmqBrokerConfig = rabbitv1alpha1.SchemeGroupVersion.WithKind("RabbitmqBrokerConfig")
	gvConfigMap            = corev1.SchemeGroupVersion.WithKind("ConfigMap")
	gvScaledObject         = schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"}
	gvDeployment           = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvCoreService          = corev1.SchemeGroupVersion.WithKind("Service")
)

func handlers() map[schema.GroupVersionKind]handler {
	m := map[schema.GroupVersionKind]handler{
		gvService: {objects: []func() runtime.Object{
			func() runtime.Object { return &servingv1.Service{} },
		}},
		gvBroker: {objects: []func() runtime.Object{
			func() runtime.Object { return &eventingv1.Broker{} },
			func() runtime.Object { return &rabbitv1alpha1.RabbitBroker{} },
		}},
		gvTrigger: {objects: []func() runtime.Object{
			func() runtime.Object { return &eventingv1.Trigger{} },
			func() runtime.Object { return &rabbitv1alpha1.RabbitTrigger{} },
		}},
		gvPingSource: {objects: []func() runtime.Object{
			func() runtime.Object { return &sourcesv1.PingSource{} },
		}},
		gvEventTypeV1beta2: {objects: []func() runtime.Object{
			func() runtime.Object { return &eventingv1beta2.EventType{} },
		}},
		gvEventTypeV1beta3: {objects: []func() runtime.Object{
			func() runtime.Object { return &eventingv1beta3.EventType{} },
		}},
		gvRabbitmqBrokerConfig: {
			objects: []func() runtime.Object{
				func() runtime.Object { return &rabbitv1alpha1.RabbitmqBrokerConfig{} },
			},
			schemaOnly: rabbitmqBrokerConfigSchema,
		},
		gvConfigMap: {objects: []func() runtime.Object{
			func() runtime.Object { return &corev1.ConfigMap{} },
		}},
		gvScaledObject: {custom: validateScaledObject},
		gvDeployment:   {custom: validateDeployment},
		gvCoreService:  {custom: validateCoreService},
	}
	for gvk, h := range clusterHandlers() {
		m[gvk] = h
	}
	return m
}

// SupportedKinds lists "apiVersion kind" pairs, sorted.
func SupportedKinds() []string {
	var out []string
	for gvk := range handlers() {
		av, k := gvk.ToAPIVersionAndKind()
		out = append(out, av+" "+k)
	}
	sort.Strings(out)
	return out
}

// Validator validates documents.
type Validator struct {
	opts     Options
	handlers map[schema.GroupVersionKind]handler
}

// New returns a Validator.
func New(opts Options) *Validator {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	return &Validator{opts: opts, handlers: handlers()}
}

// Validate validates a set of documents. They are validated together so
// that Triggers can see the Brokers they reference (the RabbitMQ Trigger
// webhook looks the Broker up to decide whether the Trigger is its own).
func (v *Validator) Validate(docs []Document) []Result {
	ctx, err := v.context(docs)
	policy := map[int][]string{}
	if v.opts.Policy {
		policy = Policy(docs, v.opts.DefaultNamespace, v.opts.External)
	}
	results := make([]Result, 0, len(docs))
	for i, d := range docs {
		if err != nil {
			results = append(results, Result{Doc: d, Err: err})
			continue
		}
		w, e := v.validateOne(ctx, d)
		if p := policy[i]; len(p) > 0 {
			msg := "[policy] " + strings.Join(p, "; ")
			if e != nil {
				msg = e.Error() + "; " + msg
			}
			e = errors.New(msg)
		}
		results = append(results, Result{Doc: d, Err: e, Warnings: w})
	}
	return results
}

// context builds what the webhooks' ctxFunc plus the admission machinery
// (apis.WithinCreate) would put in the context for a CREATE.
func (v *Validator) context(docs []Document) (context.Context, error) {
	ctx := logging.WithLogger(context.Background(), zap.NewNop().Sugar())

	// knative serving: config-defaults, config-features, config-autoscaler
	// with upstream defaults (what serving's webhook store.ToContext loads
	// from pristine ConfigMaps).
	sDefaults, err := servingcfg.NewDefaultsConfigFromMap(map[string]string{})
	if err != nil {
		return nil, fmt.Errorf("serving defaults: %w", err)
	}
	// The cluster's own config-features (knative-serving) when the input carries it: e.g.
	// nodeSelector and tolerations on Services are refused unless it enables them.
	sFeatures, err := servingcfg.NewFeaturesConfigFromMap(servingFeatures(docs))
	if err != nil {
		return nil, fmt.Errorf("serving features: %w", err)
	}
	sAutoscaler, err := ascfg.NewConfigFromMap(map[string]string{})
	if err != nil {
		return nil, fmt.Errorf("serving autoscaler config: %w", err)
	}
	ctx = servingcfg.ToContext(ctx, &servingcfg.Config{
		Defaults: sDefaults, Features: sFeatures, Autoscaler: sAutoscaler,
	})

	// knative eventing: config-br-defaults (as shipped upstream) and
	// config-features.
	eDefaults, err := eventingcfg.NewDefaultsConfigFromMap(map[string]string{
		"default-br-config": upstreamDefaultBrConfig,
	})
	if err != nil {
		return nil, fmt.Errorf("eventing defaults: %w", err)
	}
	ctx = eventingcfg.ToContext(ctx, &eventingcfg.Config{Defaults: eDefaults})
	featureMap := map[string]string{
		// GA (always on) in this eventing release; kept for older ones.
		"new-trigger-filters": "enabled",
	}
	for k, val := range v.opts.EventingFeatures {
		featureMap[k] = val
	}
	flags, err := feature.NewFlagsConfigFromMap(featureMap)
	if err != nil {
		return nil, fmt.Errorf("eventing features: %w", err)
	}
	ctx = feature.ToContext(ctx, flags)

	// eventing-rabbitmq's Trigger webhook Gets the Trigger's Broker through
	// an eventing clientset; give it the Brokers found in the input.
	var brokers []runtime.Object
	for _, d := range docs {
		if d.Err != nil || d.APIVersion != gvBroker.GroupVersion().String() || d.Kind != gvBroker.Kind {
			continue
		}
		b := &eventingv1.Broker{}
		if kjson.UnmarshalCaseSensitivePreserveInts(d.JSON, b) != nil {
			continue
		}
		if b.Namespace == "" {
			b.Namespace = v.opts.DefaultNamespace
		}
		brokers = append(brokers, b)
	}
	ctx = context.WithValue(ctx, eventingclient.Key{}, eventingfake.NewSimpleClientset(brokers...))

	return apis.WithinCreate(ctx), nil
}

func (v *Validator) validateOne(ctx context.Context, d Document) ([]string, error) {
	if d.Err != nil {
		return nil, d.Err
	}
	gv, err := schema.ParseGroupVersion(d.APIVersion)
	if err != nil || d.APIVersion == "" || d.Kind == "" {
		return nil, fmt.Errorf("unsupported kind %q %q: missing or malformed apiVersion/kind", d.APIVersion, d.Kind)
	}
	h, ok := v.handlers[gv.WithKind(d.Kind)]
	if !ok {
		return nil, fmt.Errorf("unsupported kind %s %s", d.APIVersion, d.Kind)
	}
	if h.custom != nil {
		return h.custom(ctx, d)
	}

	primary := h.objects[0]()
	if err := strictDecode(d.JSON, primary); err != nil {
		return nil, err
	}
	pv, ok := primary.(validatable)
	if !ok {
		// Plain Kubernetes object (ConfigMap): strict decode only.
		return nil, nil
	}
	if !h.clusterScoped && pv.GetNamespace() == "" {
		pv.SetNamespace(v.opts.DefaultNamespace)
	}

	var warnings []string
	var errs []string
	run := func(prefix string, o validatable) {
		o.SetDefaults(ctx)
		fe := o.Validate(ctx)
		if fe == nil {
			return
		}
		if e := fe.Filter(apis.ErrorLevel); e != nil {
			errs = append(errs, prefix+oneLine(e.Error()))
		}
		if w := fe.Filter(apis.WarningLevel); w != nil {
			warnings = append(warnings, prefix+oneLine(w.Error()))
		}
	}
	run("", pv)
	if h.schemaOnly != nil {
		if err := h.schemaOnly(pv.(runtime.Object)); err != nil {
			errs = append(errs, "[CRD schema] "+err.Error())
		}
	}

	if len(h.objects) > 1 {
		defaulted, err := json.Marshal(pv)
		if err != nil {
			return warnings, fmt.Errorf("re-encoding defaulted object: %w", err)
		}
		for _, mk := range h.objects[1:] {
			o := mk()
			if err := kjson.UnmarshalCaseSensitivePreserveInts(defaulted, o); err != nil {
				return warnings, fmt.Errorf("decoding defaulted object for %T: %w", o, err)
			}
			run(webhookName(o), o.(validatable))
		}
	}
	if len(errs) > 0 {
		return warnings, errors.New(strings.Join(errs, "; "))
	}
	return warnings, nil
}

func webhookName(o runtime.Object) string {
	switch o.(type) {
	case *rabbitv1alpha1.RabbitBroker, *rabbitv1alpha1.RabbitTrigger:
		return "[eventing-rabbitmq webhook] "
	}
	return fmt.Sprintf("[%T] ", o)
}

// strictDecode decodes like the API server does for a strict
// (fieldValidation=Strict) request: case-sensitive field names, unknown and
// duplicate fields are errors, and type mismatches are errors.
func strictDecode(js []byte, into any) error {
	strictErrs, err := kjson.UnmarshalStrict(js, into)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("strict decode: %s", strings.Join(msgs, "; "))
	}
	return nil
}

func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// rabbitmqBrokerConfigSchema mirrors the one constraint of eventing-rabbitmq's
// RabbitmqBrokerConfig CRD (config/broker/300-rabbitmqbrokerconfig.yaml) that
// its webhook does not check: spec.queueType is an enum, defaulted to quorum.
func rabbitmqBrokerConfigSchema(obj runtime.Object) error {
	c := obj.(*rabbitv1alpha1.RabbitmqBrokerConfig)
	switch c.Spec.QueueType {
	case "", rabbitv1alpha1.QuorumQueueType, rabbitv1alpha1.ClassicQueueType:
		return nil
	}
	return fmt.Errorf("spec.queueType: Unsupported value: %q: supported values: %q, %q",
		c.Spec.QueueType, rabbitv1alpha1.QuorumQueueType, rabbitv1alpha1.ClassicQueueType)
}

// servingFeatures is the data of ConfigMap knative-serving/config-features in docs, if any.
func servingFeatures(docs []Document) map[string]string {
	for _, d := range docs {
		if d.Err != nil || d.APIVersion != "v1" || d.Kind != "ConfigMap" || d.Name != "config-features" || d.Namespace != "knative-serving" {
			continue
		}
		cm := &corev1.ConfigMap{}
		if kjson.UnmarshalCaseSensitivePreserveInts(d.JSON, cm) == nil {
			return cm.Data
		}
	}
	return map[string]string{}
}
