variable "name" {
  description = "Cluster name: prefixes resources and the kubeadm SSM parameters."
  type        = string
}

variable "pools" {
  description = "Node pools by name (see envs/prod/pools.auto.tfvars.json): size, machine and the labels and taints the kubelet registers with."
  type = map(object({
    count          = number
    instance_type  = string
    root_volume_gb = number
    labels         = map(string)
    taints = list(object({
      key    = string
      value  = string
      effect = string
    }))
  }))

  validation {
    condition     = alltrue([for p in values(var.pools) : p.count > 0 && p.count % 3 == 0])
    error_message = "Every pool has a positive multiple of three nodes: the same number in each zone."
  }
}

variable "control_plane_pool" {
  description = "The pool whose nodes are kubeadm control-plane members behind the API server NLB."
  type        = string
  default     = "control-plane"
}

variable "ami_id" {
  description = "Node image: containerd, kubeadm, kubelet and the AWS CLI preinstalled."
  type        = string
}

variable "root_device_name" {
  description = "The AMI's root device (Amazon Linux: /dev/xvda; Ubuntu: /dev/sda1)."
  type        = string
  default     = "/dev/xvda"
}

variable "region" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  description = "One private subnet per zone."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Groups every node gets."
  type        = list(string)
}

variable "pool_security_group_ids" {
  description = "Extra groups by pool name."
  type        = map(list(string))
  default     = {}
}

variable "instance_profiles" {
  description = "IAM instance profile name by pool name."
  type        = map(string)
}

variable "target_group_arns" {
  description = "Load balancer target groups an ASG registers its nodes with, by pool name."
  type        = map(list(string))
  default     = {}
}
