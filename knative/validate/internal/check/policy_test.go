package check

import (
	"os"
	"strings"
	"testing"
)

var ext = External{
	Secrets: map[string]bool{"eco2/eco2-settings": true},
	Services: map[string]bool{
		"knative-local-gateway.istio-system:80": true,
		"broker-ingress.knative-eventing:80":    true,
		"prometheus-operated.monitoring:9090":   true,
	},
}

// render is the dev overlay as committed, plus fixture documents.
func render(t *testing.T, fixtures ...string) []Document {
	t.Helper()
	docs, err := Render("../../../cluster/overlays/dev")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fixtures {
		more, err := SplitDocuments("fixture", []byte(f))
		if err != nil {
			t.Fatal(err)
		}
		for j := range more {
			more[j].Index = i
		}
		docs = append(docs, more...)
	}
	return docs
}

// failures runs the whole validation and returns the FAIL lines.
func failures(docs []Document, e External) []string {
	var out []string
	for _, r := range New(Options{DefaultNamespace: "eco2", External: e, Policy: true}).Validate(docs) {
		if !r.OK() {
			out = append(out, r.String())
		}
	}
	return out
}

func expectOne(t *testing.T, fails []string, want ...string) {
	t.Helper()
	if len(fails) != 1 {
		t.Fatalf("want one failure, got %d:\n%s", len(fails), strings.Join(fails, "\n"))
	}
	for _, w := range want {
		if !strings.Contains(fails[0], w) {
			t.Errorf("failure %q lacks %q", fails[0], w)
		}
	}
}

func TestCommittedOverlaysPass(t *testing.T) {
	for _, dir := range []string{"../../../cluster/overlays/dev", "../../../cluster/overlays/prod"} {
		docs, err := Render(dir)
		if err != nil {
			t.Fatal(err)
		}
		e := External{Secrets: map[string]bool{"istio-system/eco2-tls": true}, Services: ext.Services}
		for k := range ext.Secrets {
			e.Secrets[k] = true
		}
		if fails := failures(docs, e); len(fails) > 0 {
			t.Fatalf("%s:\n%s", dir, strings.Join(fails, "\n"))
		}
	}
}

const knativeTarget = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: scan-api
  namespace: eco2
spec:
  scaleTargetRef:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: scan-api
  minReplicaCount: 1
  triggers:
  - type: cpu
    metricType: Utilization
    metadata:
      value: "60"
`

func TestScaledObjectAimedAtAKnativeServiceFails(t *testing.T) {
	expectOne(t, failures(render(t, knativeTarget), ext), "ScaledObject/scan-api", "is a Knative Service")
}

func TestScaledObjectAimedAtANonConsumerFails(t *testing.T) {
	fixture := strings.NewReplacer("serving.knative.dev/v1", "apps/v1", "kind: Service", "kind: Deployment",
		"name: scan-api\n  minReplicaCount", "name: eco2-authz\n  minReplicaCount").Replace(knativeTarget)
	expectOne(t, failures(render(t, fixture), ext), "is not a pull consumer")
}

// pooled is a ConfigMap and a Deployment on pool POOL (the workload is shared with the
// command's own tests: ../../testdata/pooled_workload.yaml.tmpl).
var pooled = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixture\n  namespace: eco2\ndata:\n  a: \"1\"\n---\n" + pooledWorkload("../../testdata/pooled_workload.yaml.tmpl")

func TestAWorkloadOnAKnownPoolPasses(t *testing.T) {
	if fails := failures(render(t, strings.ReplaceAll(pooled, "POOL", "workers")), ext); len(fails) > 0 {
		t.Fatal(strings.Join(fails, "\n"))
	}
}

func TestABrokenPoolLabelFails(t *testing.T) {
	expectOne(t, failures(render(t, strings.ReplaceAll(pooled, "POOL", "worker")), ext),
		"Deployment/stray", `unknown pool "worker"`)
}

func TestAWorkloadWithoutAPoolFails(t *testing.T) {
	fixture := strings.Replace(pooled, "      nodeSelector:\n        eco2.kr/pool: POOL\n", "", 1)
	expectOne(t, failures(render(t, strings.ReplaceAll(fixture, "POOL", "api")), ext), "no eco2.kr/pool")
}

func TestAGeneratedServiceOnTheWrongPoolFails(t *testing.T) {
	docs := render(t)
	for i, d := range docs {
		if d.Kind == "Service" && d.Name == "scan-api" && d.APIVersion == "serving.knative.dev/v1" {
			docs[i].JSON = []byte(strings.ReplaceAll(string(d.JSON), `"api"`, `"workers"`))
		}
	}
	expectOne(t, failures(docs, ext), "Service/scan-api", `a http workload runs on pool "api", not "workers"`)
}

func TestBrokenReferencesFail(t *testing.T) {
	docs := render(t)
	for i, d := range docs {
		switch {
		case d.Kind == "IstioOperator":
			docs[i].JSON = []byte(strings.Replace(string(d.JSON), `"port":9000`, `"port":9999`, 1))
		case d.Kind == "RabbitmqBrokerConfig":
			docs[i].JSON = []byte(strings.Replace(string(d.JSON), `"name":"eco2-rabbitmq"`, `"name":"rabbitmq"`, 1))
		case d.Kind == "VirtualService":
			docs[i].JSON = []byte(strings.Replace(string(d.JSON), `"authority":"scan-api.`, `"authority":"sse-gateway.`, 1))
		case d.Kind == "ConfigMap" && d.Name == "eco2-cluster-settings":
			docs[i].JSON = []byte(strings.ReplaceAll(string(d.JSON), "eco2-redis-master.eco2", "redis-master.eco2"))
		}
	}
	fails := failures(docs, ext)
	joined := strings.Join(fails, "\n")
	for _, want := range []string{"no Service eco2-authz.eco2:9999", "no Service redis-master.eco2:6379", "no Knative Service eco2/sse-gateway", "no RabbitmqCluster eco2/rabbitmq"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
	prod, err := Render("../../../cluster/overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	if fails := strings.Join(failures(prod, ext), "\n"); !strings.Contains(fails, "Secret istio-system/eco2-tls: not in this render") {
		t.Errorf("prod's TLS Secret must be named as external:\n%s", fails)
	}
	if fails := failures(render(t), External{}); len(fails) == 0 {
		t.Error("without the external Secret and Services the references must fail")
	}
}

func TestACustomPolicyNeedsAKnownProvider(t *testing.T) {
	docs := render(t)
	for i, d := range docs {
		if d.Kind == "AuthorizationPolicy" {
			docs[i].JSON = []byte(strings.Replace(string(d.JSON), `"provider":{"name":"eco2-ext-authz"}`, `"provider":{"name":"other"}`, 1))
		}
	}
	expectOne(t, failures(docs, ext), "AuthorizationPolicy", `"other" is not an extensionProvider`)
}

func TestIstioSpecsAreDecodedStrictly(t *testing.T) {
	docs := render(t)
	for i, d := range docs {
		if d.Kind == "VirtualService" {
			docs[i].JSON = []byte(strings.Replace(string(d.JSON), `"timeout":"0s"`, `"timeout":"0s","idleTimout":"1h"`, 1))
		}
	}
	expectOne(t, failures(docs, ext), "VirtualService/eco2-api", "idleTimout")
}

// pooledWorkload reads the shared fixture; a test that cannot read it fails at start.
func pooledWorkload(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
