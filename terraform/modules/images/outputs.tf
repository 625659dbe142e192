output "bucket" {
  description = "ECO2_S3_BUCKET."
  value       = aws_s3_bucket.images.id
}

output "bucket_arn" {
  value = aws_s3_bucket.images.arn
}

output "cdn_base_url" {
  description = "ECO2_CDN_BASE_URL: public reads of every key."
  value       = "https://${var.domain}"
}

output "distribution_id" {
  value = aws_cloudfront_distribution.images.id
}
