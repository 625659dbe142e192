output "eco2_settings" {
  description = "ECO2_* settings (functions/kit/settings.py) this stack determines: the ConfigMap of the image functions."
  value = {
    ECO2_IMAGES_BACKEND = "s3"
    ECO2_S3_BUCKET      = module.images.bucket
    ECO2_S3_REGION      = var.region
    ECO2_CDN_BASE_URL   = module.images.cdn_base_url
  }
}

output "workload_role_arns" {
  description = "Annotate each ServiceAccount with its role: eks.amazonaws.com/role-arn."
  value       = module.iam.workload_role_arns
}

output "service_account_issuer" {
  value = module.iam.service_account_issuer
}

output "apiserver_endpoint" {
  value = module.nodes.apiserver_endpoint
}

output "kubeadm_join_parameters" {
  value = module.nodes.kubeadm_join_parameters
}

output "node_counts" {
  value = module.nodes.node_counts
}

output "api_base_url" {
  value = module.edge.api_base_url
}

output "alb_dns_name" {
  value = module.edge.alb_dns_name
}

output "private_subnet_ids" {
  value = module.network.private_subnet_ids
}
