# Per-deployment values not committed as defaults (copy to prod.tfvars, pass with -var-file).
ami_id               = "ami-0123456789abcdef0"
service_account_jwks = "{\"keys\":[]}"
