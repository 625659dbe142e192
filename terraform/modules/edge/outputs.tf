output "target_group_arn" {
  description = "The ingress pool's ASG registers with this."
  value       = aws_lb_target_group.ingress.arn
}

output "alb_dns_name" {
  value = aws_lb.api.dns_name
}

output "api_base_url" {
  value = "https://${var.domain}"
}
