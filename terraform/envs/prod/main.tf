# Eco² production: a self-managed Kubernetes cluster (kubeadm) on 24 EC2 nodes in six pools
# over three zones, with its public edge, the images bucket and CDN, and IAM (ADR 0018).

data "aws_route53_zone" "public" {
  name = var.zone_name
}

module "logs" {
  source = "../../modules/logs"
  name   = var.name
}

module "network" {
  source              = "../../modules/network"
  name                = var.name
  cidr                = var.vpc_cidr
  azs                 = var.azs
  flow_log_bucket_arn = module.logs.bucket_arn
}

module "security" {
  source             = "../../modules/security"
  name               = var.name
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.vpc_cidr
  ingress_node_ports = [var.ingress_node_port, var.ingress_health_node_port]
}

module "images" {
  source = "../../modules/images"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
  name                   = var.name
  domain                 = var.images_domain
  zone_id                = data.aws_route53_zone.public.zone_id
  cors_origins           = var.frontend_origins
  log_bucket             = module.logs.bucket
  log_bucket_domain_name = module.logs.bucket_domain_name
}

module "iam" {
  source               = "../../modules/iam"
  name                 = var.name
  region               = var.region
  pools                = toset(keys(var.pools))
  service_account_jwks = var.service_account_jwks
  images_bucket_arn    = module.images.bucket_arn
  log_bucket           = module.logs.bucket
  workload_roles       = var.workload_roles
}

module "edge" {
  source                   = "../../modules/edge"
  name                     = var.name
  domain                   = var.api_domain
  zone_id                  = data.aws_route53_zone.public.zone_id
  vpc_id                   = module.network.vpc_id
  public_subnet_ids        = module.network.public_subnet_ids
  alb_security_group_id    = module.security.alb_sg_id
  ingress_node_port        = var.ingress_node_port
  ingress_health_node_port = var.ingress_health_node_port
  log_bucket               = module.logs.bucket
}

module "nodes" {
  source             = "../../modules/nodes"
  name               = var.name
  pools              = var.pools
  ami_id             = var.ami_id
  root_device_name   = var.root_device_name
  region             = var.region
  vpc_id             = module.network.vpc_id
  private_subnet_ids = module.network.private_subnet_ids
  security_group_ids = [module.security.nodes_sg_id]
  pool_security_group_ids = {
    "control-plane" = [module.security.control_plane_sg_id]
    ingress         = [module.security.ingress_sg_id]
  }
  instance_profiles = module.iam.instance_profiles
  target_group_arns = {
    ingress = [module.edge.target_group_arn]
  }
}
