variable "name" {
  description = "Prefix for every resource name and Name tag."
  type        = string
}

variable "cidr" {
  description = "The VPC's address range; split into one public and one private subnet per zone."
  type        = string
  default     = "10.20.0.0/16"
}

variable "azs" {
  description = "Exactly three availability zones: every pool keeps one node per zone per third."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3
    error_message = "The cluster spans exactly three availability zones."
  }
}

variable "flow_log_bucket_arn" {
  description = "S3 bucket (ARN) receiving the VPC flow logs."
  type        = string
}
