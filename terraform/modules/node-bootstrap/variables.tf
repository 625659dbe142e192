variable "pool" {
  description = "The pool's name: the value of its eco2.kr/pool label and taint."
  type        = string
}

variable "labels" {
  description = "Node labels the kubelet registers with (--node-labels)."
  type        = map(string)
}

variable "taints" {
  description = "Taints the kubelet registers with (--register-with-taints)."
  type = list(object({
    key    = string
    value  = string
    effect = string
  }))

  validation {
    condition     = alltrue([for t in var.taints : contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect)])
    error_message = "A taint's effect is NoSchedule, PreferNoSchedule or NoExecute."
  }
}

variable "control_plane" {
  description = "Whether these nodes join as kubeadm control-plane members."
  type        = bool
  default     = false
}

variable "cluster_name" {
  type = string
}

variable "apiserver_endpoint" {
  description = "host:port of the API server (the internal NLB)."
  type        = string
}

variable "region" {
  type = string
}
