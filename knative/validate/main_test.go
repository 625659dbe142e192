package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const okConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  a: \"1\"\n"

func cm(name string) string { return strings.Replace(okConfigMap, "%s", name, 1) }

func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), cm("a")+"---\n"+cm("b"))
	writeFile(t, filepath.Join(dir, "sub", "c.yml"), cm("c"))
	writeFile(t, filepath.Join(dir, "notes.txt"), "not yaml: [")
	writeFile(t, filepath.Join(dir, "overlays", "bad.yaml"), "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: d\n")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // lines that must appear in stdout
		notWant  []string
	}{
		{
			name:     "all, overlays included",
			args:     []string{dir},
			wantCode: 1,
			want: []string{
				"OK " + filepath.Join(dir, "a.yaml") + "#0 ConfigMap/a",
				"OK " + filepath.Join(dir, "a.yaml") + "#1 ConfigMap/b",
				"OK " + filepath.Join(dir, "sub", "c.yml") + "#0 ConfigMap/c",
				"FAIL " + filepath.Join(dir, "overlays", "bad.yaml") + "#0 StatefulSet/d: unsupported kind apps/v1 StatefulSet",
				"3 passed, 1 failed",
			},
			notWant: []string{"notes.txt"},
		},
		{
			name:     "-dir with -skip-dir overlays",
			args:     []string{"-dir", dir, "-skip-dir", "overlays"},
			wantCode: 0,
			want:     []string{"3 passed, 0 failed"},
			notWant:  []string{"overlays"},
		},
		{
			name:     "single file",
			args:     []string{filepath.Join(dir, "sub", "c.yml")},
			wantCode: 0,
			want:     []string{"1 passed, 0 failed"},
		},
		{
			name:     "flags after positional arguments",
			args:     []string{dir, "-skip-dir", "overlays"},
			wantCode: 0,
			want:     []string{"3 passed, 0 failed"},
		},
		{
			name:     "missing path",
			args:     []string{filepath.Join(dir, "missing")},
			wantCode: 2,
		},
		{
			name:     "no args",
			args:     nil,
			wantCode: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, &out, &errOut)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errOut.String())
			}
			lines := strings.Split(out.String(), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					if l == w {
						found = true
					}
				}
				if !found {
					t.Errorf("missing line %q in:\n%s", w, out.String())
				}
			}
			for _, nw := range tc.notWant {
				if strings.Contains(out.String(), nw) {
					t.Errorf("unexpected %q in:\n%s", nw, out.String())
				}
			}
		})
	}
}

func TestRunEmpty(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{dir}, &out, &errOut); code != 2 {
		t.Errorf("empty dir: exit %d, want 2", code)
	}
	out.Reset()
	if code := run([]string{"-allow-empty", dir}, &out, &errOut); code != 0 {
		t.Errorf("empty dir with -allow-empty: exit %d, want 0", code)
	}
	if strings.TrimSpace(out.String()) != "0 passed, 0 failed" {
		t.Errorf("got %q", out.String())
	}
}

// fixtureCluster is a kustomization in a temp dir: the committed dev overlay plus the given
// fixture manifest, run through the command as scripts/test runs it.
func fixtureCluster(t *testing.T, fixture string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	dev, err := filepath.Abs("../cluster/overlays/dev")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, dev)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "kustomization.yaml"),
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- "+rel+"\n- fixture.yaml\n")
	writeFile(t, filepath.Join(dir, "fixture.yaml"), fixture)
	var out, errOut bytes.Buffer
	code := run([]string{"-namespace", "eco2",
		"-external-secret", "eco2/eco2-settings",
		"-external-service", "knative-local-gateway.istio-system:80",
		"-external-service", "broker-ingress.knative-eventing:80",
		"-external-service", "prometheus-operated.monitoring:9090",
		"-kustomize", dir}, &out, &errOut)
	return code, out.String() + errOut.String()
}

const fixtureScaledObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: scan-api
  namespace: eco2
spec:
  scaleTargetRef:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: scan-api
  triggers:
  - type: cpu
    metricType: Utilization
    metadata:
      value: "60"
`

// fixtureWorkload is a Deployment on pool POOL, shared with the check package's tests.
var fixtureWorkload = readFixture("testdata/pooled_workload.yaml.tmpl")

func TestClusterChecksFromATempDir(t *testing.T) {
	code, out := fixtureCluster(t, strings.ReplaceAll(fixtureWorkload, "POOL", "workers"))
	if code != 0 {
		t.Fatalf("a placed workload must pass, got %d:\n%s", code, out)
	}
	code, out = fixtureCluster(t, fixtureScaledObject)
	if code != 1 || !strings.Contains(out, "ScaledObject/scan-api: [policy] spec.scaleTargetRef: serving.knative.dev/v1 Service/scan-api is a Knative Service") {
		t.Fatalf("a ScaledObject aimed at a Knative Service must fail, got %d:\n%s", code, out)
	}
	code, out = fixtureCluster(t, strings.ReplaceAll(fixtureWorkload, "POOL", "wrokers"))
	if code != 1 || !strings.Contains(out, `Deployment/stray: [policy] .spec.template.spec.nodeSelector: unknown pool "wrokers"`) {
		t.Fatalf("a broken pool label must fail, got %d:\n%s", code, out)
	}
}

// readFixture reads a shared fixture; a test that cannot read it fails at start.
func readFixture(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
