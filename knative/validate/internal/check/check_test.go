package check

import (
	"strings"
	"testing"
)

// rabbitBroker is prepended to cases that need the Trigger's Broker to be
// known to the RabbitMQ Trigger webhook.
const rabbitBroker = `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: eco2
  namespace: eco2
  annotations:
    eventing.knative.dev/broker.class: RabbitMQBroker
spec:
  config:
    apiVersion: eventing.knative.dev/v1alpha1
    kind: RabbitmqBrokerConfig
    name: eco2-rabbitmq
---
`

const validService = `
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: orders
  namespace: eco2
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/min-scale: "0"
        autoscaling.knative.dev/max-scale: "20"
        autoscaling.knative.dev/target: "50"
        autoscaling.knative.dev/metric: concurrency
        autoscaling.knative.dev/scale-down-delay: "30s"
    spec:
      containerConcurrency: 50
      timeoutSeconds: 300
      containers:
        - image: ghcr.io/eco2/orders:1.0.0
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
          readinessProbe:
            httpGet:
              path: /health
`

const validPingSource = `
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata:
  name: sweep
  namespace: eco2
spec:
  schedule: '* * * * *'
  contentType: application/json
  data: '{"function": "sweep"}'
  sink:
    ref:
      apiVersion: eventing.knative.dev/v1
      kind: Broker
      name: default
`

const validTrigger = `
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: orders-created
  namespace: eco2
  annotations:
    rabbitmq.eventing.knative.dev/parallelism: "10"
spec:
  broker: eco2
  filter:
    attributes:
      type: eco2.order.created
  filters:
    - prefix:
        type: eco2.order.
    - suffix:
        source: /orders
    - exact:
        type: eco2.order.created
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: orders
  delivery:
    retry: 3
    backoffPolicy: exponential
    backoffDelay: PT1S
    timeout: PT30S
    deadLetterSink:
      ref:
        apiVersion: serving.knative.dev/v1
        kind: Service
        name: dead-letters
`

const validScaledObject = `
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
  namespace: eco2
spec:
  scaleTargetRef:
    name: worker
  minReplicaCount: 0
  maxReplicaCount: 10
  triggers:
    - type: rabbitmq
      name: queue
      metadata:
        queueName: orders
        mode: QueueLength
        value: "20"
      authenticationRef:
        name: rabbitmq-auth
`

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		// yaml: all documents but the last must pass; the last one is
		// checked against wantErr ("" means it must pass).
		yaml    string
		wantErr string
	}{
		// ---- serving.knative.dev/v1 Service
		{name: "service: valid with autoscaling annotations", yaml: validService},
		// ---- sources.knative.dev/v1 PingSource
		{name: "pingsource: valid", yaml: validPingSource},
		{
			name:    "pingsource: a schedule cron cannot parse",
			yaml:    strings.Replace(validPingSource, "'* * * * *'", "'every minute'", 1),
			wantErr: "spec.schedule",
		},
		{
			name:    "service: min-scale -1",
			yaml:    strings.Replace(validService, `min-scale: "0"`, `min-scale: "-1"`, 1),
			wantErr: "autoscaling.knative.dev/min-scale",
		},
		{
			name:    "service: containerConcurrency -5",
			yaml:    strings.Replace(validService, "containerConcurrency: 50", "containerConcurrency: -5", 1),
			wantErr: "expected 0 <= -5 <= 1000: spec.template.spec.containerConcurrency",
		},
		{
			name: "service: target above containerConcurrency is accepted",
			yaml: strings.Replace(validService, `target: "50"`, `target: "80"`, 1),
		},
		{
			name:    "service: autoscaling annotations on the Service's own metadata",
			yaml:    strings.Replace(validService, "  namespace: eco2\n", "  namespace: eco2\n  annotations:\n    autoscaling.knative.dev/min-scale: \"1\"\n", 1),
			wantErr: `autoscaling annotations must be put under "spec.template.metadata.annotations"`,
		},
		{
			name:    "service: unquoted annotation value is a type error",
			yaml:    strings.Replace(validService, `max-scale: "20"`, `max-scale: 20`, 1),
			wantErr: "cannot unmarshal number into Go struct field",
		},
		{
			name:    "service: unknown container field",
			yaml:    strings.Replace(validService, "containerPort: 8080", "containerPort: 8080\n              protcol: TCP", 1),
			wantErr: `unknown field "spec.template.spec.containers[0].ports[0].protcol"`,
		},
		{
			name:    "service: scale-down-delay not a duration",
			yaml:    strings.Replace(validService, `scale-down-delay: "30s"`, `scale-down-delay: "30"`, 1),
			wantErr: "scale-down-delay",
		},

		// ---- eventing.knative.dev/v1 Broker
		{
			name: "broker: RabbitMQBroker referencing a RabbitmqBrokerConfig",
			yaml: strings.TrimSuffix(strings.TrimSpace(rabbitBroker), "---"),
		},
		{
			name: "broker: RabbitMQBroker with explicit config namespace",
			yaml: strings.Replace(strings.TrimSuffix(strings.TrimSpace(rabbitBroker), "---"),
				"name: eco2-rabbitmq", "name: eco2-rabbitmq\n    namespace: eco2", 1),
		},
		{
			name: "broker: RabbitMQBroker referencing a ConfigMap",
			yaml: strings.Replace(strings.Replace(strings.TrimSuffix(strings.TrimSpace(rabbitBroker), "---"),
				"apiVersion: eventing.knative.dev/v1alpha1", "apiVersion: v1", 1),
				"kind: RabbitmqBrokerConfig", "kind: ConfigMap", 1),
			wantErr: "Configuration not supported",
		},
		{
			name: "broker: RabbitMQBroker without spec.config",
			yaml: `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: eco2
  annotations:
    eventing.knative.dev/broker.class: RabbitMQBroker
`,
			// defaulted from config-br-defaults to the MT channel broker's ConfigMap
			wantErr: "Configuration not supported",
		},
		{
			name:    "broker: delivery backoffDelay not ISO-8601",
			yaml:    strings.TrimSuffix(strings.TrimSpace(rabbitBroker), "---") + "\n  delivery:\n    backoffDelay: 2s\n",
			wantErr: "invalid value: 2s: spec.delivery.backoffDelay",
		},

		// ---- eventing.knative.dev/v1 Trigger
		{name: "trigger: attributes, filters, delivery", yaml: rabbitBroker + validTrigger},
		{name: "trigger: without its Broker in the input", yaml: validTrigger},
		{
			name:    "trigger: typo'd spec field",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "  filter:\n", "  fitler:\n", 1),
			wantErr: `strict decode: unknown field "spec.fitler"`,
		},
		{
			name:    "trigger: backoffDelay not ISO-8601",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "backoffDelay: PT1S", `backoffDelay: "1s"`, 1),
			wantErr: "invalid value: 1s: spec.delivery.backoffDelay",
		},
		{
			name:    "trigger: timeout not ISO-8601",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "timeout: PT30S", "timeout: 30s", 1),
			wantErr: "invalid value: 30s: spec.delivery.timeout",
		},
		{
			name:    "trigger: unknown backoffPolicy",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "backoffPolicy: exponential", "backoffPolicy: fibonacci", 1),
			wantErr: "spec.delivery.backoffPolicy",
		},
		{
			name:    "trigger: negative retry",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "retry: 3", "retry: -1", 1),
			wantErr: "spec.delivery.retry",
		},
		{
			name: "trigger: two dialects in one filters entry",
			yaml: rabbitBroker + strings.Replace(validTrigger, "    - suffix:\n        source: /orders\n",
				"    - suffix:\n        source: /orders\n      prefix:\n        type: eco2.\n", 1),
			wantErr: "multiple dialects found",
		},
		{
			name: "trigger: cesql filter",
			yaml: rabbitBroker + strings.Replace(validTrigger, "    - exact:\n        type: eco2.order.created\n",
				"    - cesql: \"type = 'eco2.order.created' AND source LIKE '/orders%'\"\n", 1),
		},
		{
			name:    "trigger: attribute name with a dash",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "      type: eco2.order.created\n  filters", "      ce-type: eco2.order.created\n  filters", 1),
			wantErr: "Attribute name must start with a letter and can only contain lowercase alphanumeric",
		},
		{
			name:    "trigger: deadLetterSink ref without name",
			yaml:    rabbitBroker + strings.Replace(validTrigger, "        name: dead-letters\n", "", 1),
			wantErr: "spec.delivery.deadLetterSink.ref.name",
		},
		{
			name:    "trigger: rabbitmq parallelism out of range",
			yaml:    rabbitBroker + strings.Replace(validTrigger, `parallelism: "10"`, `parallelism: "0"`, 1),
			wantErr: "expected 1 <= 0 <= 1000: rabbitmq.eventing.knative.dev/parallelism",
		},
		{
			name:    "trigger: rabbitmq parallelism not a number",
			yaml:    rabbitBroker + strings.Replace(validTrigger, `parallelism: "10"`, `parallelism: "ten"`, 1),
			wantErr: "Failed to parse valid int from parallelismAnnotation",
		},
		{
			name: "trigger: rabbitmq cpu request above limit",
			yaml: rabbitBroker + strings.Replace(validTrigger, `parallelism: "10"`,
				"parallelism: \"10\"\n    rabbitmq.eventing.knative.dev/cpu-request: 500m\n    rabbitmq.eventing.knative.dev/cpu-limit: 100m", 1),
			wantErr: "request must be less than or equal to limit",
		},
		{
			// Upstream behaviour: the RabbitMQ webhook only checks Triggers
			// whose Broker it can find with the RabbitMQBroker class.
			name: "trigger: parallelism not checked when the Broker is unknown",
			yaml: strings.Replace(validTrigger, `parallelism: "10"`, `parallelism: "0"`, 1),
		},
		{
			name:    "trigger: no broker",
			yaml:    strings.Replace(validTrigger, "  broker: eco2\n", "", 1),
			wantErr: "missing field(s): spec.broker",
		},

		// ---- EventType
		{
			name: "eventtype v1beta2",
			yaml: `
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata:
  name: eco2-order-created
  namespace: eco2
spec:
  type: eco2.order.created
  source: /orders
  schema: https://eco2.example/schemas/order-created.json
  description: An order was created
  reference:
    apiVersion: eventing.knative.dev/v1
    kind: Broker
    name: eco2
`,
		},
		{
			name: "eventtype v1beta2 without type",
			yaml: `
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata:
  name: eco2-order-created
spec:
  source: /orders
`,
			wantErr: "missing field(s): spec.type",
		},
		{
			name: "eventtype v1beta3",
			yaml: `
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata:
  name: eco2-order-created
spec:
  reference:
    apiVersion: eventing.knative.dev/v1
    kind: Broker
    name: eco2
  attributes:
    - {name: type, value: eco2.order.created, required: true}
    - {name: source, value: /orders, required: true}
    - {name: specversion, value: "1.0", required: true}
    - {name: id, required: true}
`,
		},
		{
			name: "eventtype v1beta3 missing core attributes",
			yaml: `
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata:
  name: eco2-order-created
spec:
  attributes:
    - {name: type, value: eco2.order.created, required: true}
`,
			wantErr: "missing field(s): spec.attributes.id, spec.attributes.source, spec.attributes.specversion",
		},

		// ---- eventing.knative.dev/v1alpha1 RabbitmqBrokerConfig
		{
			name: "rabbitmqbrokerconfig: quorum",
			yaml: `
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata:
  name: eco2-rabbitmq
  namespace: eco2
spec:
  rabbitmqClusterReference:
    name: rabbitmq
    namespace: rabbitmq-system
  queueType: quorum
`,
		},
		{
			name: "rabbitmqbrokerconfig: connectionSecret",
			yaml: `
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata:
  name: eco2-rabbitmq
spec:
  rabbitmqClusterReference:
    connectionSecret:
      name: rabbitmq-uri
  queueType: classic
  vhost: eco2
`,
		},
		{
			name: "rabbitmqbrokerconfig: no cluster reference",
			yaml: `
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata:
  name: eco2-rabbitmq
spec:
  queueType: quorum
`,
			wantErr: "missing field(s): spec.rabbitmqClusterReference",
		},
		{
			name: "rabbitmqbrokerconfig: unknown queueType",
			yaml: `
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata:
  name: eco2-rabbitmq
spec:
  rabbitmqClusterReference:
    name: rabbitmq
  queueType: quorom
`,
			wantErr: `spec.queueType: Unsupported value: "quorom"`,
		},

		// ---- v1 ConfigMap
		{
			name: "configmap",
			yaml: `
apiVersion: v1
kind: ConfigMap
metadata:
  name: eco2-settings
data:
  LOG_LEVEL: info
  RETRIES: "3"
`,
		},
		{
			name: "configmap: misplaced key",
			yaml: `
apiVersion: v1
kind: ConfigMap
metadata:
  name: eco2-settings
LOG_LEVEL: info
`,
			wantErr: `unknown field "LOG_LEVEL"`,
		},
		{
			name: "configmap: numeric value",
			yaml: `
apiVersion: v1
kind: ConfigMap
metadata:
  name: eco2-settings
data:
  RETRIES: 3
`,
			wantErr: "cannot unmarshal number",
		},

		// ---- keda.sh/v1alpha1 ScaledObject
		{name: "scaledobject", yaml: validScaledObject},
		{
			name:    "scaledobject: min above max",
			yaml:    strings.Replace(validScaledObject, "minReplicaCount: 0", "minReplicaCount: 11", 1),
			wantErr: "MinReplicaCount=11 must be less than MaxReplicaCount=10",
		},
		{
			name: "scaledobject: duplicate trigger names",
			yaml: validScaledObject + `    - type: cron
      name: queue
      metadata: {timezone: UTC, start: "0 6 * * *", end: "0 20 * * *", desiredReplicas: "1"}
`,
			wantErr: `triggerName "queue" is defined multiple times`,
		},
		{
			name:    "scaledobject: typo'd field",
			yaml:    strings.Replace(validScaledObject, "maxReplicaCount", "maxReplicas", 1),
			wantErr: `unknown field "spec.maxReplicas"`,
		},
		{
			name:    "scaledobject: no triggers",
			yaml:    validScaledObject[:strings.Index(validScaledObject, "  triggers:")],
			wantErr: "no triggers defined",
		},

		// ---- anything else
		{
			name:    "unknown kind",
			yaml:    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\n",
			wantErr: "unsupported kind apps/v1 StatefulSet",
		},
		{
			name:    "known kind, other version",
			yaml:    "apiVersion: serving.knative.dev/v1beta1\nkind: Service\nmetadata:\n  name: x\n",
			wantErr: "unsupported kind serving.knative.dev/v1beta1 Service",
		},
		{
			name:    "no kind",
			yaml:    "metadata:\n  name: x\n",
			wantErr: "unsupported kind",
		},
		{
			// YAML 1.1 (as kubectl parses it): a bare n/no/off is a boolean.
			name:    "yaml 1.1 boolean where a string is expected",
			yaml:    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  ENABLED: off\n",
			wantErr: "cannot unmarshal bool",
		},
		{
			name:    "duplicate YAML key",
			yaml:    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n  a: \"2\"\n",
			wantErr: `key "a" already set in map`,
		},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := SplitDocuments("test.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatalf("SplitDocuments: %v", err)
			}
			if len(docs) == 0 {
				t.Fatal("no documents")
			}
			results := New(Options{}).Validate(docs)
			for _, r := range results[:len(results)-1] {
				if !r.OK() {
					t.Fatalf("context document failed: %s", r)
				}
			}
			last := results[len(results)-1]
			switch {
			case tc.wantErr == "" && !last.OK():
				t.Fatalf("want OK, got %s", last)
			case tc.wantErr != "" && last.OK():
				t.Fatalf("want error containing %q, got %s", tc.wantErr, last)
			case tc.wantErr != "" && !strings.Contains(last.Err.Error(), tc.wantErr):
				t.Fatalf("want error containing %q, got %s", tc.wantErr, last)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	in := `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: ns}
---
# only a comment
---

---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
...
`
	docs, err := SplitDocuments("f.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("want 2 documents, got %d: %+v", len(docs), docs)
	}
	for i, want := range []string{"ConfigMap/a", "ConfigMap/b"} {
		if got := docs[i].KindName(); got != want || docs[i].Index != i {
			t.Errorf("doc %d: got %s#%d, want %s#%d", i, got, docs[i].Index, want, i)
		}
	}
	if docs[0].Namespace != "ns" || docs[0].Ref() != "f.yaml#0" {
		t.Errorf("doc 0: %+v", docs[0])
	}
}

func TestResultString(t *testing.T) {
	docs, _ := SplitDocuments("x.yaml", []byte(rabbitBroker+validTrigger+"---\napiVersion: v9\nkind: Nope\nmetadata: {name: nope}\n"))
	res := New(Options{}).Validate(docs)
	want := []string{
		"OK x.yaml#0 Broker/eco2",
		"OK x.yaml#1 Trigger/orders-created",
		"FAIL x.yaml#2 Nope/nope: unsupported kind v9 Nope",
	}
	if len(res) != len(want) {
		t.Fatalf("got %d results", len(res))
	}
	for i := range want {
		if got := res[i].String(); got != want[i] {
			t.Errorf("result %d: got %q, want %q", i, got, want[i])
		}
	}
}
