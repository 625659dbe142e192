# Node roles: one per pool, so a pool's nodes hold only what booting and joining need. Pods do
# not inherit them (IMDS hop limit 1 in the launch template); workloads use IRSA (irsa.tf).

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  parameter_arn = "arn:aws:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter/${var.name}/kubeadm"
  node_managed_policies = {
    ssm = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    ecr = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
  }
  node_policy_attachments = {
    for pair in setproduct(var.pools, keys(local.node_managed_policies)) :
    "${pair[0]}/${pair[1]}" => { pool = pair[0], arn = local.node_managed_policies[pair[1]] }
  }
}

resource "aws_iam_role" "node" {
  for_each           = var.pools
  name               = "${var.name}-node-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_instance_profile" "node" {
  for_each = var.pools
  name     = "${var.name}-node-${each.key}"
  role     = aws_iam_role.node[each.key].name
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each   = local.node_policy_attachments
  role       = aws_iam_role.node[each.value.pool].name
  policy_arn = each.value.arn
}

data "aws_iam_policy_document" "node_join" {
  for_each = var.pools
  statement {
    sid     = "ReadJoinCommand"
    actions = ["ssm:GetParameter"]
    resources = [
      each.key == var.control_plane_pool ? "${local.parameter_arn}/control-plane-join" : "${local.parameter_arn}/join",
    ]
  }
}

resource "aws_iam_role_policy" "node_join" {
  for_each = var.pools
  name     = "kubeadm-join"
  role     = aws_iam_role.node[each.key].id
  policy   = data.aws_iam_policy_document.node_join[each.key].json
}

# The control plane refreshes the join commands (kubeadm tokens expire) and so may write them.
data "aws_iam_policy_document" "control_plane_publish" {
  statement {
    sid       = "PublishJoinCommands"
    actions   = ["ssm:PutParameter", "ssm:GetParameter"]
    resources = ["${local.parameter_arn}/*"]
  }
}

resource "aws_iam_role_policy" "control_plane_publish" {
  name   = "kubeadm-publish"
  role   = aws_iam_role.node[var.control_plane_pool].id
  policy = data.aws_iam_policy_document.control_plane_publish.json
}
