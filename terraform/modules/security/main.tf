# Three kinds of traffic, three groups. Nodes talk to each other freely (pod overlay, kubelet,
# etcd peers are also gated by mTLS), reach the outside on 443 only, and take nothing from
# outside the VPC except the ALB's traffic to the ingress gateway's NodePorts. No SSH: operators
# use SSM Session Manager (the node role carries AmazonSSMManagedInstanceCore).

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:attached in another module (launch templates in nodes/, the ALB in edge/), which checkov's graph does not follow through module outputs
  name        = "${var.name}-alb"
  description = "Public ALB: HTTPS in (HTTP only to redirect), ingress NodePorts out"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the PWA's users"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:port 80 only answers a 301 to HTTPS (the listener's only action); no request reaches the cluster over HTTP
  security_group_id = aws_security_group.alb.id
  description       = "HTTP, answered only with a redirect to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_ingress" {
  for_each                     = toset([for p in var.ingress_node_ports : tostring(p)])
  security_group_id            = aws_security_group.alb.id
  description                  = "To the ingress gateway's NodePort ${each.value}"
  referenced_security_group_id = aws_security_group.ingress.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_security_group" "nodes" {
  #checkov:skip=CKV2_AWS_5:attached in another module (launch templates in nodes/, the ALB in edge/), which checkov's graph does not follow through module outputs
  name        = "${var.name}-nodes"
  description = "Every cluster node: free traffic among nodes, HTTPS out"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "nodes_self" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "Node to node: pod overlay, kubelet, CNI, data replication"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "nodes_self" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "Node to node"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "nodes_https" {
  security_group_id = aws_security_group.nodes.id
  description       = "HTTPS out via NAT: LLM APIs, Korean public data, OAuth, registries, AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "nodes_apiserver" {
  security_group_id = aws_security_group.nodes.id
  description       = "To the API server through the internal NLB"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
}

resource "aws_security_group" "control_plane" {
  #checkov:skip=CKV2_AWS_5:attached in another module (launch templates in nodes/, the ALB in edge/), which checkov's graph does not follow through module outputs
  name        = "${var.name}-control-plane"
  description = "kube-apiserver behind the internal NLB"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "apiserver" {
  security_group_id = aws_security_group.control_plane.id
  description       = "kube-apiserver from the VPC (the NLB keeps client addresses)"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
}

resource "aws_security_group" "ingress" {
  #checkov:skip=CKV2_AWS_5:attached in another module (launch templates in nodes/, the ALB in edge/), which checkov's graph does not follow through module outputs
  name        = "${var.name}-ingress"
  description = "Ingress pool: the ALB's traffic to the gateway NodePorts"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "ingress_from_alb" {
  for_each                     = toset([for p in var.ingress_node_ports : tostring(p)])
  security_group_id            = aws_security_group.ingress.id
  description                  = "From the ALB to NodePort ${each.value}"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}
