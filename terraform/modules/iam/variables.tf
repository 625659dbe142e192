variable "name" {
  description = "Cluster name: prefixes roles, the issuer bucket and the kubeadm SSM parameters."
  type        = string
}

variable "region" {
  type = string
}

variable "pools" {
  description = "Pool names: each gets its own node role and instance profile."
  type        = set(string)
}

variable "control_plane_pool" {
  type    = string
  default = "control-plane"
}

variable "service_account_jwks" {
  description = "The public half of the API server's service-account signing key, as a JWKS document (runbook: docs/runbooks/terraform.md)."
  type        = string
}

variable "images_bucket_arn" {
  type = string
}

variable "log_bucket" {
  description = "Bucket for the issuer bucket's server access logs."
  type        = string
}

variable "workload_roles" {
  description = "IRSA roles by workload: the ServiceAccount that may assume it, the S3 actions it needs on the images bucket, AWS managed policies it needs."
  type = map(object({
    namespace        = string
    service_account  = string
    s3_actions       = list(string)
    managed_policies = list(string)
  }))
}
