package check

import (
	"context"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
)

// validateScaledObject strictly decodes a keda.sh/v1alpha1 ScaledObject into
// KEDA's own Go type and runs the pure checks of KEDA's admission webhook
// (apis/keda/v1alpha1/scaledobject_webhook.go). The webhook's cluster-backed
// checks (conflicting HPAs or ScaledObjects on the same workload, CPU/memory
// triggers needing container resource limits) need a live API server and
// are not run.
func validateScaledObject(_ context.Context, doc Document) ([]string, error) {
	so := &kedav1alpha1.ScaledObject{}
	if err := strictDecode(doc.JSON, so); err != nil {
		return nil, err
	}
	// Required by the CRD schema (openAPIV3Schema "required"), which a typed
	// decode does not enforce.
	if so.Spec.ScaleTargetRef == nil || so.Spec.ScaleTargetRef.Name == "" {
		return nil, fmt.Errorf("missing field(s): spec.scaleTargetRef.name")
	}
	for i, t := range so.Spec.Triggers {
		if t.Type == "" {
			return nil, fmt.Errorf("missing field(s): spec.triggers[%d].type", i)
		}
		if t.Metadata == nil {
			return nil, fmt.Errorf("missing field(s): spec.triggers[%d].metadata", i)
		}
	}
	if err := kedav1alpha1.ValidateTriggers(so.Spec.Triggers); err != nil {
		return nil, err
	}
	// The webhook only logs this one; the KEDA operator refuses the object
	// when reconciling, so it is treated as an error here.
	if err := kedav1alpha1.CheckReplicaCountBoundsAreValid(so); err != nil {
		return nil, err
	}
	if err := kedav1alpha1.CheckFallbackValid(so); err != nil {
		return nil, err
	}
	if so.IsUsingModifiers() {
		if _, err := kedav1alpha1.ValidateAndCompileScalingModifiers(so); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
