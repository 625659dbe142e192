variable "name" {
  description = "Prefix for the bucket name (globally unique with the account id appended)."
  type        = string
}

variable "retention_days" {
  description = "How long access and flow logs are kept."
  type        = number
  default     = 400
}

variable "elb_account_id" {
  description = "The regional Elastic Load Balancing account that writes ALB access logs (ap-northeast-2: 600734575887)."
  type        = string
  default     = "600734575887"
}
