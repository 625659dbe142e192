output "instance_profiles" {
  description = "Instance profile name by pool."
  value       = { for k, p in aws_iam_instance_profile.node : k => p.name }
}

output "service_account_issuer" {
  description = "kube-apiserver --service-account-issuer (and --service-account-jwks-uri is <issuer>/keys.json)."
  value       = local.issuer_url
}

output "workload_role_arns" {
  description = "IRSA role ARN by workload: the eks.amazonaws.com/role-arn annotation of its ServiceAccount."
  value       = { for k, r in aws_iam_role.workload : k => r.arn }
}
