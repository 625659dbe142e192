"""Images: presigned uploads to S3 (deployed) or to the mesh's own store (embedded); ADR 0009."""
