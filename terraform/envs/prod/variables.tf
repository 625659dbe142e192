variable "environment" {
  type    = string
  default = "prod"
}

variable "name" {
  description = "Cluster name and resource prefix."
  type        = string
  default     = "eco2-prod"
}

variable "region" {
  type    = string
  default = "ap-northeast-2"
}

variable "azs" {
  type    = list(string)
  default = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "zone_name" {
  description = "The public Route 53 hosted zone (created outside this stack, with the domain's registration)."
  type        = string
  default     = "eco2.kr"
}

variable "api_domain" {
  type    = string
  default = "api.eco2.kr"
}

variable "images_domain" {
  type    = string
  default = "images.eco2.kr"
}

variable "frontend_origins" {
  description = "The PWA's origins (ECO2_FRONTEND_ORIGINS): the images bucket's CORS."
  type        = list(string)
  default     = ["https://eco2.kr", "https://www.eco2.kr"]
}

variable "ami_id" {
  description = "Node AMI with containerd, kubeadm, kubelet and the AWS CLI (image pipeline output)."
  type        = string
}

variable "root_device_name" {
  type    = string
  default = "/dev/xvda"
}

variable "service_account_jwks" {
  description = "JWKS of the API server's service-account signing key (runbook: docs/runbooks/terraform.md)."
  type        = string
}

variable "ingress_node_port" {
  description = "The Istio ingress gateway Service's HTTPS NodePort (knative/cluster/overlays/prod/ha.yaml)."
  type        = number
  default     = 30443
}

variable "ingress_health_node_port" {
  description = "The gateway's status-port NodePort (readiness at /healthz/ready)."
  type        = number
  default     = 30021
}

variable "pools" {
  description = "Node pools: pools.auto.tfvars.json, the single source for sizes, labels and taints (ADR 0018)."
  type = map(object({
    count          = number
    instance_type  = string
    root_volume_gb = number
    labels         = map(string)
    taints = list(object({
      key    = string
      value  = string
      effect = string
    }))
  }))
}

variable "workload_roles" {
  description = "IRSA roles by workload: workloads.auto.tfvars.json."
  type = map(object({
    namespace        = string
    service_account  = string
    s3_actions       = list(string)
    managed_policies = list(string)
  }))
}
