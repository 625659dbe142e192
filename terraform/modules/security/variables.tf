variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  description = "Nodes reach the API server through the internal NLB from anywhere in the VPC."
  type        = string
}

variable "ingress_node_ports" {
  description = "NodePorts of the ingress gateway's Service (HTTP traffic and health) that the ALB may reach."
  type        = list(number)
}
