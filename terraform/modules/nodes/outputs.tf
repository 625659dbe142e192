output "asg_names" {
  description = "Auto Scaling group by pool."
  value       = { for k, g in aws_autoscaling_group.pool : k => g.name }
}

output "apiserver_endpoint" {
  description = "host:port every node joins and kubectl talks to (inside the VPC)."
  value       = "${aws_lb.apiserver.dns_name}:6443"
}

output "kubeadm_join_parameters" {
  description = "SSM parameter names the runbook fills after kubeadm init, by pool."
  value       = { for k, b in module.bootstrap : k => b.join_parameter }
}

output "node_counts" {
  value = { for k, p in var.pools : k => p.count }
}
