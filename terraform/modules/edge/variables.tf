variable "name" {
  type = string
}

variable "domain" {
  description = "The API's public name (e.g. api.eco2.kr): the PWA's API base."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone holding var.domain."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "alb_security_group_id" {
  type = string
}

variable "ingress_node_port" {
  description = "NodePort of the ingress gateway's HTTPS listener on every ingress-pool node."
  type        = number
}

variable "ingress_health_node_port" {
  description = "NodePort of the gateway's readiness endpoint."
  type        = number
}

variable "ingress_health_path" {
  description = "Istio's gateway readiness on its status port."
  type        = string
  default     = "/healthz/ready"
}

variable "idle_timeout_s" {
  description = "ALB idle timeout: must exceed the SSE keepalive (15 s; the contract allows at most 30 s)."
  type        = number
  default     = 120
}

variable "log_bucket" {
  type = string
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes per client address before the WAF blocks it."
  type        = number
  default     = 3000
}
