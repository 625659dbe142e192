# The public edge: Route 53 -> ALB (TLS with an ACM certificate, WAF) -> the ingress pool's
# Istio gateway on its HTTPS NodePort (the ALB re-encrypts; the prod Gateway serves TLS with its
# own certificate and redirects plain HTTP), which asks the Go ext-authz and routes to Knative.
# Only the ingress pool is registered, so nothing else is reachable from outside.

resource "aws_acm_certificate" "api" {
  domain_name       = var.domain
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "api_validation" {
  for_each = {
    for o in aws_acm_certificate.api.domain_validation_options : o.domain_name => o
  }
  zone_id         = var.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  certificate_arn         = aws_acm_certificate.api.arn
  validation_record_fqdns = [for r in aws_route53_record.api_validation : r.fqdn]
}

resource "aws_lb" "api" {
  #checkov:skip=CKV2_AWS_76:the Log4j rules (AWSManagedRulesKnownBadInputsRuleSet) are on; the check also demands AWSManagedRulesAnonymousIpList, which would block VPN and relay users: a product decision, not taken
  name                       = "${var.name}-api"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.alb_security_group_id]
  idle_timeout               = var.idle_timeout_s
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  access_logs {
    bucket  = var.log_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "ingress" {
  name                 = "${var.name}-ingress"
  port                 = var.ingress_node_port
  protocol             = "HTTPS" # re-encrypted: the gateway terminates TLS itself (prod Gateway)
  vpc_id               = var.vpc_id
  target_type          = "instance"
  deregistration_delay = 30 # the SSE gateway's drain grace is 5 s; streams resume by Last-Event-ID

  health_check {
    path                = var.ingress_health_path
    port                = tostring(var.ingress_health_node_port)
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.api.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.ingress.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.api.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_route53_record" "api" {
  for_each = toset(["A", "AAAA"])
  zone_id  = var.zone_id
  name     = var.domain
  type     = each.key
  alias {
    name                   = aws_lb.api.dns_name
    zone_id                = aws_lb.api.zone_id
    evaluate_target_health = true
  }
}
