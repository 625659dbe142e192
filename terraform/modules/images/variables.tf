variable "name" {
  type = string
}

variable "domain" {
  description = "Public name CloudFront serves the images under (e.g. images.eco2.kr): ECO2_CDN_BASE_URL's host."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone holding var.domain."
  type        = string
}

variable "cors_origins" {
  description = "The PWA's origins, allowed to PUT presigned uploads straight to the bucket (ECO2_FRONTEND_ORIGINS)."
  type        = list(string)
}

variable "log_bucket" {
  description = "Bucket name for S3 server access logs."
  type        = string
}

variable "log_bucket_domain_name" {
  description = "The same bucket's domain name, for CloudFront standard logs."
  type        = string
}

variable "noncurrent_days" {
  description = "How long an overwritten or deleted image version is kept."
  type        = number
  default     = 30
}

variable "price_class" {
  description = "CloudFront price class; PriceClass_200 includes the Seoul edge locations."
  type        = string
  default     = "PriceClass_200"
}
