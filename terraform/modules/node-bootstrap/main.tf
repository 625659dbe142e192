# The one place node labels and taints become kubelet flags. No provider: `tofu apply` renders
# it offline, which is how tests/unit/test_terraform.py checks the user data every pool boots
# with against what the Kubernetes manifests select and tolerate.

locals {
  node_labels    = join(",", [for k in sort(keys(var.labels)) : "${k}=${var.labels[k]}"])
  node_taints    = join(",", [for t in var.taints : "${t.key}=${t.value}:${t.effect}"])
  join_parameter = "/${var.cluster_name}/kubeadm/${var.control_plane ? "control-plane-join" : "join"}"
}
