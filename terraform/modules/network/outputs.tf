output "vpc_id" {
  value = aws_vpc.this.id
}

output "vpc_cidr" {
  value = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "One per zone, in var.azs order."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "One per zone, in var.azs order."
  value       = aws_subnet.private[*].id
}
