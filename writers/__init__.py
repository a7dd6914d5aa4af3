"""Writers of what the synthesized stacks mean in other forms: readable HCL, diagrams."""
