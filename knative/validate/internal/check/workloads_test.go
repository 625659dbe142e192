package check

import (
	"strings"
	"testing"
)

const validDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: event-router
  namespace: eco2
  labels:
    app.kubernetes.io/name: event-router
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: event-router
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: event-router
      annotations:
        prometheus.io/scrape: "true"
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: router
          image: eco2/functions:latest
          command: [python, -m, eventing.router]
          env:
            - name: ECO2_MODE
              value: real
          envFrom:
            - secretRef:
                name: eco2-settings
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          livenessProbe:
            httpGet:
              path: /health
              port: 8080
          lifecycle:
            preStop:
              sleep:
                seconds: 5
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 512Mi
`

const validCoreService = `
apiVersion: v1
kind: Service
metadata:
  name: sse-gateway
  namespace: eco2
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: sse-gateway
  ports:
    - name: http
      port: 80
      targetPort: http
`

func TestValidateWorkloads(t *testing.T) {
	deployment := func(old, new string) string {
		if !strings.Contains(validDeployment, old) {
			t.Fatalf("test setup: %q not in the valid Deployment", old)
		}
		return strings.Replace(validDeployment, old, new, 1)
	}
	service := func(old, new string) string {
		if !strings.Contains(validCoreService, old) {
			t.Fatalf("test setup: %q not in the valid Service", old)
		}
		return strings.Replace(validCoreService, old, new, 1)
	}
	tests := []struct {
		name    string
		yaml    string
		wantErr string // "" means it must pass
	}{
		// ---- apps/v1 Deployment
		{name: "deployment: valid", yaml: validDeployment},
		{
			name:    "deployment: unknown field",
			yaml:    deployment("terminationGracePeriodSeconds: 30", "terminationGracePeriod: 30"),
			wantErr: `unknown field "spec.template.spec.terminationGracePeriod"`,
		},
		{
			name:    "deployment: type mismatch",
			yaml:    deployment("containerPort: 8080", `containerPort: "8080"`),
			wantErr: "cannot unmarshal string into Go struct field",
		},
		{
			name:    "deployment: selector does not match the template",
			yaml:    deployment("      app.kubernetes.io/name: event-router\n  strategy", "      app.kubernetes.io/name: other\n  strategy"),
			wantErr: "`selector` does not match template `labels`",
		},
		{
			name:    "deployment: no selector",
			yaml:    deployment("  selector:\n    matchLabels:\n      app.kubernetes.io/name: event-router\n", ""),
			wantErr: "spec.selector: Required value",
		},
		{
			name:    "deployment: no containers",
			yaml:    validDeployment[:strings.Index(validDeployment, "      containers:")] + "      containers: []\n",
			wantErr: "spec.template.spec.containers: Required value",
		},
		{
			name:    "deployment: container name not a DNS-1123 label",
			yaml:    deployment("- name: router", "- name: Router_1"),
			wantErr: "spec.template.spec.containers[0].name: Invalid value",
		},
		{
			name:    "deployment: no image",
			yaml:    deployment("image: eco2/functions:latest", `image: ""`),
			wantErr: "spec.template.spec.containers[0].image: Required value",
		},
		{
			name:    "deployment: container port out of range",
			yaml:    deployment("containerPort: 8080", "containerPort: 80800"),
			wantErr: "containers[0].ports[0].containerPort: Invalid value",
		},
		{
			name:    "deployment: probe on an unknown named port",
			yaml:    deployment("port: http", "port: metrics"),
			wantErr: `readinessProbe.httpGet.port: Invalid value: "metrics"`,
		},
		{
			name:    "deployment: probe without a handler",
			yaml:    deployment("          livenessProbe:\n            httpGet:\n              path: /health\n              port: 8080\n", "          livenessProbe:\n            periodSeconds: 5\n"),
			wantErr: "livenessProbe: Invalid value: must specify exactly one handler type",
		},
		{
			name:    "deployment: env name invalid",
			yaml:    deployment("- name: ECO2_MODE", "- name: ECO2 MODE"),
			wantErr: "env[0].name: Invalid value",
		},
		{
			name:    "deployment: request above limit",
			yaml:    deployment("memory: 128Mi", "memory: 1Gi"),
			wantErr: "must be less than or equal to memory limit of 512Mi",
		},
		{
			name:    "deployment: both surge and unavailable zero",
			yaml:    deployment("maxSurge: 1", "maxSurge: 0"),
			wantErr: "may not be 0 when `maxSurge` is 0",
		},
		{
			name:    "deployment: unknown strategy",
			yaml:    deployment("type: RollingUpdate", "type: BlueGreen"),
			wantErr: `spec.strategy.type: Unsupported value: "BlueGreen"`,
		},
		{
			name:    "deployment: negative replicas",
			yaml:    deployment("spec:\n  selector", "spec:\n  replicas: -1\n  selector"),
			wantErr: "spec.replicas: must be greater than or equal to 0",
		},
		{
			name:    "deployment: restartPolicy Never",
			yaml:    deployment("      terminationGracePeriodSeconds: 30", "      restartPolicy: Never\n      terminationGracePeriodSeconds: 30"),
			wantErr: `restartPolicy: Unsupported value: "Never"`,
		},
		{
			name:    "deployment: name not a DNS-1123 subdomain",
			yaml:    deployment("  name: event-router\n  namespace", "  name: Event_Router\n  namespace"),
			wantErr: "metadata.name: Invalid value",
		},
		{
			name:    "deployment: preStop with two handlers",
			yaml:    deployment("              sleep:\n                seconds: 5\n", "              sleep:\n                seconds: 5\n              exec:\n                command: [\"true\"]\n"),
			wantErr: "lifecycle.preStop: Invalid value: must specify exactly one handler type",
		},

		// ---- v1 Service
		{name: "service (core): valid", yaml: validCoreService},
		{
			name:    "service (core): no ports",
			yaml:    validCoreService[:strings.Index(validCoreService, "  ports:")],
			wantErr: "spec.ports: Required value",
		},
		{
			name:    "service (core): port out of range",
			yaml:    service("port: 80", "port: 0"),
			wantErr: "spec.ports[0].port: Invalid value",
		},
		{
			name:    "service (core): unknown type",
			yaml:    service("type: ClusterIP", "type: Internal"),
			wantErr: `spec.type: Unsupported value: "Internal"`,
		},
		{
			name:    "service (core): name not a DNS-1035 label",
			yaml:    service("name: sse-gateway\n  namespace", "name: 1gateway\n  namespace"),
			wantErr: "metadata.name: Invalid value",
		},
		{
			name:    "service (core): Knative field",
			yaml:    service("  type: ClusterIP\n", "  type: ClusterIP\n  template: {}\n"),
			wantErr: `unknown field "spec.template"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := SplitDocuments("test.yaml", []byte(tc.yaml))
			if err != nil || len(docs) != 1 {
				t.Fatalf("SplitDocuments: %v (%d documents)", err, len(docs))
			}
			got := New(Options{DefaultNamespace: "eco2"}).Validate(docs)[0]
			switch {
			case tc.wantErr == "" && !got.OK():
				t.Fatalf("want OK, got %s", got)
			case tc.wantErr != "" && got.OK():
				t.Fatalf("want error containing %q, got %s", tc.wantErr, got)
			case tc.wantErr != "" && !strings.Contains(got.Err.Error(), tc.wantErr):
				t.Fatalf("want error containing %q, got %s", tc.wantErr, got)
			}
		})
	}
}

func TestSupportedKindsIncludeThePersistentWorkloads(t *testing.T) {
	kinds := strings.Join(SupportedKinds(), "\n")
	for _, want := range []string{"apps/v1 Deployment", "v1 Service", "keda.sh/v1alpha1 ScaledObject"} {
		if !strings.Contains(kinds, want) {
			t.Errorf("missing %q in %s", want, kinds)
		}
	}
}
