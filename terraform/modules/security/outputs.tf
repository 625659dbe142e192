output "alb_sg_id" {
  value = aws_security_group.alb.id
}

output "nodes_sg_id" {
  value = aws_security_group.nodes.id
}

output "control_plane_sg_id" {
  value = aws_security_group.control_plane.id
}

output "ingress_sg_id" {
  value = aws_security_group.ingress.id
}
