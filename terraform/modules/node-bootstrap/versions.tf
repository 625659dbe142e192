terraform {
  # Provider-free on purpose: tests render it offline with `tofu apply` (ADR 0018).
  required_version = ">= 1.6"
}
