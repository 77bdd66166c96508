"""Knowledge distillation with hypergradient-tuned metaparameters."""
