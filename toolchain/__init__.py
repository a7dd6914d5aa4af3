"""The toolchain: how Node, Terraform, its provider mirror and the cdktf CLI are found and run."""
