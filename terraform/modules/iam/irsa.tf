# IAM roles for service accounts on a self-managed cluster: the API server signs projected
# ServiceAccount tokens with issuer https://<issuer bucket>.s3.<region>.amazonaws.com; that bucket
# serves the OIDC discovery document and the public keys; IAM trusts the issuer, and each
# workload role trusts exactly one namespace/ServiceAccount. A pod with that ServiceAccount and
# a projected token (audience sts.amazonaws.com) gets the role through boto3's web-identity
# credential provider; every other pod gets nothing (ADR 0018).

resource "aws_s3_bucket" "issuer" {
  #checkov:skip=CKV_AWS_145:holds only public discovery documents: encryption with a customer key protects nothing
  #checkov:skip=CKV2_AWS_62:two documents written by Terraform; nothing consumes object events
  #checkov:skip=CKV_AWS_144:two documents Terraform can rewrite at any time; nothing to replicate
  #checkov:skip=CKV2_AWS_6:the OIDC issuer's two discovery documents must be world-readable for STS to verify ServiceAccount tokens (IRSA on a self-managed cluster, ADR 0018); the bucket policy exposes exactly those two keys
  bucket = "${var.name}-oidc-${data.aws_caller_identity.current.account_id}"
}

locals {
  issuer_host = "${aws_s3_bucket.issuer.id}.s3.${var.region}.amazonaws.com"
  issuer_url  = "https://${local.issuer_host}"
  discovery = jsonencode({
    issuer                                = local.issuer_url
    jwks_uri                              = "${local.issuer_url}/keys.json"
    authorization_endpoint                = "urn:kubernetes:programmatic_authorization"
    response_types_supported              = ["id_token"]
    subject_types_supported               = ["public"]
    id_token_signing_alg_values_supported = ["RS256"]
    claims_supported                      = ["sub", "iss"]
  })
  issuer_documents = {
    ".well-known/openid-configuration" = local.discovery
    "keys.json"                        = var.service_account_jwks
  }
}

resource "aws_s3_bucket_public_access_block" "issuer" {
  #checkov:skip=CKV_AWS_54:the OIDC issuer's two discovery documents must be world-readable for STS to verify ServiceAccount tokens (IRSA on a self-managed cluster, ADR 0018); the bucket policy exposes exactly those two keys
  #checkov:skip=CKV_AWS_56:the OIDC issuer's two discovery documents must be world-readable for STS to verify ServiceAccount tokens (IRSA on a self-managed cluster, ADR 0018); the bucket policy exposes exactly those two keys
  bucket                  = aws_s3_bucket.issuer.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = false # the two discovery documents must be world-readable (STS fetches them)
  restrict_public_buckets = false
}

resource "aws_s3_bucket_ownership_controls" "issuer" {
  bucket = aws_s3_bucket.issuer.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "issuer" {
  bucket = aws_s3_bucket.issuer.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "issuer" {
  bucket = aws_s3_bucket.issuer.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "issuer" {
  bucket = aws_s3_bucket.issuer.id
  rule {
    id     = "noncurrent"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90 # old keys stay resolvable while tokens they signed may live
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_logging" "issuer" {
  bucket        = aws_s3_bucket.issuer.id
  target_bucket = var.log_bucket
  target_prefix = "s3/${aws_s3_bucket.issuer.id}/"
}

data "aws_iam_policy_document" "issuer" {
  statement {
    sid     = "PublicDiscovery"
    actions = ["s3:GetObject"]
    resources = [
      for key in keys(local.issuer_documents) : "${aws_s3_bucket.issuer.arn}/${key}"
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_s3_bucket_policy" "issuer" {
  bucket     = aws_s3_bucket.issuer.id
  policy     = data.aws_iam_policy_document.issuer.json
  depends_on = [aws_s3_bucket_public_access_block.issuer]
}

resource "aws_s3_object" "issuer" {
  for_each     = local.issuer_documents
  bucket       = aws_s3_bucket.issuer.id
  key          = each.key
  content      = each.value
  content_type = "application/json"
}

resource "aws_iam_openid_connect_provider" "issuer" {
  url            = local.issuer_url
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "workload_assume" {
  for_each = var.workload_roles
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.issuer.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "workload" {
  for_each           = var.workload_roles
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.workload_assume[each.key].json
}

data "aws_iam_policy_document" "workload_images" {
  for_each = { for k, w in var.workload_roles : k => w if length(w.s3_actions) > 0 }
  statement {
    sid       = "ImageObjects"
    actions   = each.value.s3_actions
    resources = ["${var.images_bucket_arn}/*"]
  }
}

resource "aws_iam_role_policy" "workload_images" {
  for_each = data.aws_iam_policy_document.workload_images
  name     = "images-bucket"
  role     = aws_iam_role.workload[each.key].id
  policy   = each.value.json
}

locals {
  workload_policy_attachments = merge([
    for k, w in var.workload_roles : { for arn in w.managed_policies : "${k}/${arn}" => { role = k, arn = arn } }
  ]...)
}

resource "aws_iam_role_policy_attachment" "workload" {
  for_each   = local.workload_policy_attachments
  role       = aws_iam_role.workload[each.value.role].name
  policy_arn = each.value.arn
}
