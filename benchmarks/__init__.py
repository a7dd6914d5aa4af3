"""Benchmarks (`make bench`): whole-process synth time and memory, and the refusal without credentials."""
