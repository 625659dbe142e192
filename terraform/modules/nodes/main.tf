# One launch template and one ASG per pool, spread evenly over the three private subnets. The
# ASGs hold a fixed size (min = max = desired): capacity is planned per pool (ADR 0018), and
# Knative scales pods inside it. The API server sits behind an internal NLB so nodes and
# kubeadm join one stable address while control-plane members come and go.

module "bootstrap" {
  source   = "../node-bootstrap"
  for_each = var.pools

  pool               = each.key
  labels             = each.value.labels
  taints             = each.value.taints
  control_plane      = each.key == var.control_plane_pool
  cluster_name       = var.name
  apiserver_endpoint = "${aws_lb.apiserver.dns_name}:6443"
  region             = var.region
}

resource "aws_launch_template" "pool" {
  for_each = var.pools

  name_prefix   = "${var.name}-${each.key}-"
  image_id      = var.ami_id
  instance_type = each.value.instance_type
  user_data     = base64encode(module.bootstrap[each.key].user_data)
  ebs_optimized = true

  vpc_security_group_ids = concat(var.security_group_ids, lookup(var.pool_security_group_ids, each.key, []))

  iam_instance_profile {
    name = var.instance_profiles[each.key]
  }

  # IMDSv2 only, one hop: containers (their own network namespace, one hop further) cannot
  # read the node role's credentials; pods get AWS access only through IRSA (ADR 0018).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = var.root_device_name
    ebs {
      volume_size           = each.value.root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-${each.key}", "eco2.kr/pool" = each.key }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = "${var.name}-${each.key}", "eco2.kr/pool" = each.key }
  }
}

resource "aws_autoscaling_group" "pool" {
  for_each = var.pools

  name                = "${var.name}-${each.key}"
  min_size            = each.value.count
  max_size            = each.value.count
  desired_capacity    = each.value.count
  vpc_zone_identifier = var.private_subnet_ids
  target_group_arns = concat(
    lookup(var.target_group_arns, each.key, []),
    each.key == var.control_plane_pool ? [aws_lb_target_group.apiserver.arn] : [],
  )
  health_check_type         = "EC2"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.pool[each.key].id
    version = aws_launch_template.pool[each.key].latest_version
  }

  # One node at a time, so a pool never loses more than one zone's share during a rollout.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 66
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-${each.key}"
    propagate_at_launch = true
  }

  tag {
    key                 = "eco2.kr/pool"
    value               = each.key
    propagate_at_launch = true
  }
}

resource "aws_lb" "apiserver" {
  #checkov:skip=CKV_AWS_91:a TCP pass-through NLB: NLB access logs exist only for TLS listeners; the API server's own audit log records requests
  name                             = "${var.name}-apiserver"
  internal                         = true
  load_balancer_type               = "network"
  subnets                          = var.private_subnet_ids
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = true
}

resource "aws_lb_target_group" "apiserver" {
  name     = "${var.name}-apiserver"
  port     = 6443
  protocol = "TCP"
  vpc_id   = var.vpc_id
  # A control-plane node reaching the API server through the NLB may land on itself: with the
  # client address preserved that hairpin connection is dropped, so the NLB's address is used.
  preserve_client_ip = "false"

  health_check {
    protocol            = "HTTPS"
    path                = "/readyz"
    port                = "6443"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
  }
}

resource "aws_lb_listener" "apiserver" {
  load_balancer_arn = aws_lb.apiserver.arn
  port              = 6443
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.apiserver.arn
  }
}
