# CloudFront in front of the private bucket. Its certificate must live in us-east-1.

resource "aws_acm_certificate" "images" {
  provider          = aws.us_east_1
  domain_name       = var.domain
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "images_validation" {
  for_each = {
    for o in aws_acm_certificate.images.domain_validation_options : o.domain_name => o
  }
  zone_id         = var.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "images" {
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.images.arn
  validation_record_fqdns = [for r in aws_route53_record.images_validation : r.fqdn]
}

resource "aws_cloudfront_origin_access_control" "images" {
  name                              = "${var.name}-images"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "images" {
  name = "${var.name}-images"
  security_headers_config {
    content_type_options {
      override = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "images" {
  #checkov:skip=CKV_AWS_68:serves only GETs of unguessable keys (uuid4) from a private bucket, no application logic to protect; a us-east-1 WAF would bill every image request. The API's ALB has the WAF
  #checkov:skip=CKV2_AWS_47:no WAF on this distribution (see CKV_AWS_68): static objects, nothing a Log4j rule protects
  #checkov:skip=CKV_AWS_374:no legal or product reason to restrict countries: Korean users travel
  #checkov:skip=CKV_AWS_310:one origin: there is no replica bucket to fail over to (see the bucket's CKV_AWS_144)
  #checkov:skip=CKV_AWS_305:not a website: only object keys are requested; the root answers 403 through OAC
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name} images"
  aliases         = [var.domain]
  price_class     = var.price_class
  http_version    = "http2and3"

  origin {
    origin_id                = "images"
    domain_name              = aws_s3_bucket.images.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.images.id
  }

  default_cache_behavior {
    target_origin_id           = "images"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.images.id
  }

  logging_config {
    bucket = var.log_bucket_domain_name
    prefix = "cloudfront/images/"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.images.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

resource "aws_route53_record" "images" {
  for_each = toset(["A", "AAAA"])
  zone_id  = var.zone_id
  name     = var.domain
  type     = each.key
  alias {
    name                   = aws_cloudfront_distribution.images.domain_name
    zone_id                = aws_cloudfront_distribution.images.hosted_zone_id
    evaluate_target_health = false
  }
}
