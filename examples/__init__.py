"""Runnable topologies: ``python examples/<name>.py`` synthesizes one into cdktf.out/."""
