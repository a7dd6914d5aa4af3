"""The toolchain: how Terraform, its provider mirror and the cdktf CLI are found and run, and the benchmark."""
