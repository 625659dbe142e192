terraform {
  required_version = ">= 1.10" # the S3 backend's use_lockfile

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State in S3 with native locking; bucket and key come from `-backend-config` (runbook).
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "eco2", Environment = var.environment, ManagedBy = "terraform" }
  }
}

# CloudFront certificates live in us-east-1 whatever the stack's region.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { Project = "eco2", Environment = var.environment, ManagedBy = "terraform" }
  }
}
