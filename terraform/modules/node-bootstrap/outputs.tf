output "node_labels" {
  description = "The --node-labels value from the pool (the zone and instance type are added at boot)."
  value       = local.node_labels
}

output "node_taints" {
  description = "The --register-with-taints value."
  value       = local.node_taints
}

output "join_parameter" {
  description = "SSM parameter (SecureString) holding the kubeadm join command these nodes run."
  value       = local.join_parameter
}

output "user_data" {
  description = "cloud-init user data (a shell script) for the pool's launch template."
  value = templatefile("${path.module}/bootstrap.sh.tftpl", {
    node_labels        = local.node_labels
    node_taints        = local.node_taints
    join_parameter     = local.join_parameter
    region             = var.region
    pool               = var.pool
    apiserver_endpoint = var.apiserver_endpoint
  })
}
