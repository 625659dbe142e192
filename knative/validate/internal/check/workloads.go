package check

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The persistent workloads (the SSE gateway and the event router) are plain
// Kubernetes objects: an apps/v1 Deployment, and a core v1 Service in front
// of the gateway. Kubernetes' own validation code lives in k8s.io/kubernetes,
// which is not importable as a library, so these are the checks of
// pkg/apis/apps/validation and pkg/apis/core/validation that a generated
// manifest can get wrong, run after a strict decode into the k8s.io/api
// types. Messages follow the API server's "field: reason" style.

// validateDeployment strictly decodes an apps/v1 Deployment and checks it.
func validateDeployment(_ context.Context, doc Document) ([]string, error) {
	d := &appsv1.Deployment{}
	if err := strictDecode(doc.JSON, d); err != nil {
		return nil, err
	}
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	errs = append(errs, objectMeta(d.ObjectMeta, validation.IsDNS1123Subdomain)...)
	s := d.Spec
	if s.Replicas != nil && *s.Replicas < 0 {
		add("spec.replicas: must be greater than or equal to 0")
	}
	if s.MinReadySeconds < 0 {
		add("spec.minReadySeconds: must be greater than or equal to 0")
	}
	if s.RevisionHistoryLimit != nil && *s.RevisionHistoryLimit < 0 {
		add("spec.revisionHistoryLimit: must be greater than or equal to 0")
	}
	if s.ProgressDeadlineSeconds != nil && *s.ProgressDeadlineSeconds <= s.MinReadySeconds {
		add("spec.progressDeadlineSeconds: must be greater than minReadySeconds")
	}
	errs = append(errs, selectorMatches(s.Selector, s.Template.Labels)...)
	errs = append(errs, strategy(s.Strategy)...)
	errs = append(errs, labelMap("spec.template.metadata.labels", s.Template.Labels)...)
	errs = append(errs, podSpec("spec.template.spec", s.Template.Spec)...)
	return nil, joined(errs)
}

// validateCoreService strictly decodes a core v1 Service and checks it.
func validateCoreService(_ context.Context, doc Document) ([]string, error) {
	svc := &corev1.Service{}
	if err := strictDecode(doc.JSON, svc); err != nil {
		return nil, err
	}
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	errs = append(errs, objectMeta(svc.ObjectMeta, validation.IsDNS1035Label)...)
	switch svc.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		if len(svc.Spec.Ports) == 0 && svc.Spec.ClusterIP != corev1.ClusterIPNone {
			add("spec.ports: Required value")
		}
	case corev1.ServiceTypeExternalName:
		if svc.Spec.ExternalName == "" {
			add("spec.externalName: Required value")
		}
	default:
		add("spec.type: Unsupported value: %q", svc.Spec.Type)
	}
	names := map[string]bool{}
	for i, p := range svc.Spec.Ports {
		field := fmt.Sprintf("spec.ports[%d]", i)
		if len(svc.Spec.Ports) > 1 && p.Name == "" {
			add("%s.name: Required value (several ports)", field)
		}
		if p.Name != "" {
			errs = append(errs, messages(field+".name", validation.IsDNS1123Label(p.Name))...)
			if names[p.Name] {
				add("%s.name: Duplicate value: %q", field, p.Name)
			}
			names[p.Name] = true
		}
		errs = append(errs, messages(field+".port", validation.IsValidPortNum(int(p.Port)))...)
		errs = append(errs, protocol(field+".protocol", p.Protocol)...)
		switch {
		case p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal != 0:
			errs = append(errs, messages(field+".targetPort", validation.IsValidPortNum(int(p.TargetPort.IntVal)))...)
		case p.TargetPort.Type == intstr.String:
			errs = append(errs, messages(field+".targetPort", validation.IsValidPortName(p.TargetPort.StrVal))...)
		}
	}
	errs = append(errs, labelMap("spec.selector", svc.Spec.Selector)...)
	return nil, joined(errs)
}

func objectMeta(m metav1.ObjectMeta, nameCheck func(string) []string) []string {
	var errs []string
	if m.Name == "" {
		errs = append(errs, "metadata.name: Required value")
	} else {
		errs = append(errs, messages("metadata.name", nameCheck(m.Name))...)
	}
	if m.Namespace != "" {
		errs = append(errs, messages("metadata.namespace", validation.IsDNS1123Label(m.Namespace))...)
	}
	errs = append(errs, labelMap("metadata.labels", m.Labels)...)
	for k := range m.Annotations {
		errs = append(errs, messages("metadata.annotations", validation.IsQualifiedName(strings.ToLower(k)))...)
	}
	return errs
}

func labelMap(field string, m map[string]string) []string {
	var errs []string
	for k, v := range m {
		errs = append(errs, messages(field, validation.IsQualifiedName(k))...)
		errs = append(errs, messages(field+"."+k, validation.IsValidLabelValue(v))...)
	}
	return errs
}

func selectorMatches(sel *metav1.LabelSelector, podLabels map[string]string) []string {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return []string{"spec.selector: Required value: empty selector is invalid for deployment"}
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return []string{"spec.selector: Invalid value: " + err.Error()}
	}
	if !selector.Matches(labels.Set(podLabels)) {
		return []string{"spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`"}
	}
	return nil
}

func strategy(s appsv1.DeploymentStrategy) []string {
	switch s.Type {
	case "", appsv1.RollingUpdateDeploymentStrategyType:
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return []string{"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"}
		}
		return nil
	default:
		return []string{fmt.Sprintf("spec.strategy.type: Unsupported value: %q", s.Type)}
	}
	if s.RollingUpdate == nil {
		return nil
	}
	var errs []string
	zero := func(v *intstr.IntOrString) bool {
		return v != nil && ((v.Type == intstr.Int && v.IntVal == 0) || (v.Type == intstr.String && v.StrVal == "0%"))
	}
	for name, v := range map[string]*intstr.IntOrString{
		"maxUnavailable": s.RollingUpdate.MaxUnavailable, "maxSurge": s.RollingUpdate.MaxSurge,
	} {
		if v == nil {
			continue
		}
		if v.Type == intstr.Int && v.IntVal < 0 {
			errs = append(errs, fmt.Sprintf("spec.strategy.rollingUpdate.%s: must be greater than or equal to 0", name))
		}
		if v.Type == intstr.String && !strings.HasSuffix(v.StrVal, "%") {
			errs = append(errs, fmt.Sprintf("spec.strategy.rollingUpdate.%s: Invalid value: %q: must be an integer or a percentage", name, v.StrVal))
		}
	}
	if zero(s.RollingUpdate.MaxUnavailable) && zero(s.RollingUpdate.MaxSurge) {
		errs = append(errs, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: may not be 0 when `maxSurge` is 0")
	}
	return errs
}

func podSpec(field string, p corev1.PodSpec) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if p.RestartPolicy != "" && p.RestartPolicy != corev1.RestartPolicyAlways {
		add("%s.restartPolicy: Unsupported value: %q: supported values: \"Always\"", field, p.RestartPolicy)
	}
	if p.TerminationGracePeriodSeconds != nil && *p.TerminationGracePeriodSeconds < 0 {
		add("%s.terminationGracePeriodSeconds: must be greater than or equal to 0", field)
	}
	if len(p.Containers) == 0 {
		add("%s.containers: Required value", field)
	}
	names := map[string]bool{}
	for i, c := range p.InitContainers {
		errs = append(errs, container(fmt.Sprintf("%s.initContainers[%d]", field, i), c, names)...)
	}
	for i, c := range p.Containers {
		errs = append(errs, container(fmt.Sprintf("%s.containers[%d]", field, i), c, names)...)
	}
	return errs
}

func container(field string, c corev1.Container, names map[string]bool) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Name == "" {
		add("%s.name: Required value", field)
	} else {
		errs = append(errs, messages(field+".name", validation.IsDNS1123Label(c.Name))...)
		if names[c.Name] {
			add("%s.name: Duplicate value: %q", field, c.Name)
		}
		names[c.Name] = true
	}
	if strings.TrimSpace(c.Image) == "" {
		add("%s.image: Required value", field)
	}
	portNames := map[string]bool{}
	for i, p := range c.Ports {
		pf := fmt.Sprintf("%s.ports[%d]", field, i)
		errs = append(errs, messages(pf+".containerPort", validation.IsValidPortNum(int(p.ContainerPort)))...)
		if p.HostPort != 0 {
			errs = append(errs, messages(pf+".hostPort", validation.IsValidPortNum(int(p.HostPort)))...)
		}
		if p.Name != "" {
			errs = append(errs, messages(pf+".name", validation.IsValidPortName(p.Name))...)
			if portNames[p.Name] {
				add("%s.name: Duplicate value: %q", pf, p.Name)
			}
			portNames[p.Name] = true
		}
		errs = append(errs, protocol(pf+".protocol", p.Protocol)...)
	}
	for i, e := range c.Env {
		ef := fmt.Sprintf("%s.env[%d]", field, i)
		if e.Name == "" {
			add("%s.name: Required value", ef)
		} else {
			errs = append(errs, messages(ef+".name", validation.IsEnvVarName(e.Name))...)
		}
		if e.Value != "" && e.ValueFrom != nil {
			add("%s.valueFrom: Invalid value: may not be specified when `value` is not empty", ef)
		}
	}
	for i, e := range c.EnvFrom {
		if (e.ConfigMapRef == nil) == (e.SecretRef == nil) {
			add("%s.envFrom[%d]: Invalid value: must specify one of: `configMapRef` or `secretRef`", field, i)
		}
	}
	probes := []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, p := range probes {
		if p.probe != nil {
			errs = append(errs, probe(field+"."+p.name, p.probe, portNames)...)
		}
	}
	if c.Lifecycle != nil {
		for name, h := range map[string]*corev1.LifecycleHandler{"postStart": c.Lifecycle.PostStart, "preStop": c.Lifecycle.PreStop} {
			if h == nil {
				continue
			}
			n := 0
			for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.Sleep != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				add("%s.lifecycle.%s: Invalid value: must specify exactly one handler type", field, name)
			}
			if h.Sleep != nil && h.Sleep.Seconds < 0 {
				add("%s.lifecycle.%s.sleep.seconds: must be greater than or equal to 0", field, name)
			}
		}
	}
	for name, q := range c.Resources.Requests {
		if limit, ok := c.Resources.Limits[name]; ok && q.Cmp(limit) > 0 {
			add("%s.resources.requests: Invalid value: %q: must be less than or equal to %s limit of %s",
				field, q.String(), name, limit.String())
		}
	}
	return errs
}

func probe(field string, p *corev1.Probe, portNames map[string]bool) []string {
	var errs []string
	n := 0
	for _, set := range []bool{p.Exec != nil, p.HTTPGet != nil, p.TCPSocket != nil, p.GRPC != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, field+": Invalid value: must specify exactly one handler type")
	}
	port := func(pf string, v intstr.IntOrString) {
		switch {
		case v.Type == intstr.Int:
			errs = append(errs, messages(pf, validation.IsValidPortNum(int(v.IntVal)))...)
		case !portNames[v.StrVal]:
			errs = append(errs, fmt.Sprintf("%s: Invalid value: %q: no container port with this name", pf, v.StrVal))
		}
	}
	if p.HTTPGet != nil {
		port(field+".httpGet.port", p.HTTPGet.Port)
		if p.HTTPGet.Path != "" && !strings.HasPrefix(p.HTTPGet.Path, "/") {
			errs = append(errs, field+".httpGet.path: Invalid value: must be an absolute path")
		}
	}
	if p.TCPSocket != nil {
		port(field+".tcpSocket.port", p.TCPSocket.Port)
	}
	for name, v := range map[string]int32{
		"initialDelaySeconds": p.InitialDelaySeconds, "timeoutSeconds": p.TimeoutSeconds,
		"periodSeconds": p.PeriodSeconds, "successThreshold": p.SuccessThreshold,
		"failureThreshold": p.FailureThreshold,
	} {
		if v < 0 {
			errs = append(errs, fmt.Sprintf("%s.%s: must be greater than or equal to 0", field, name))
		}
	}
	return errs
}

func protocol(field string, p corev1.Protocol) []string {
	switch p {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return nil
	}
	return []string{fmt.Sprintf("%s: Unsupported value: %q", field, p)}
}

// joined is nil for no problems, else every problem, sorted (map order must
// not change the output).
func joined(errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return errors.New(strings.Join(errs, "; "))
}

func messages(field string, problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = field + ": Invalid value: " + p
	}
	return out
}
