output "bucket" {
  value = aws_s3_bucket.this.id
}

output "bucket_arn" {
  value = aws_s3_bucket.this.arn
}

output "bucket_domain_name" {
  description = "For CloudFront's logging_config."
  value       = aws_s3_bucket.this.bucket_domain_name
}
