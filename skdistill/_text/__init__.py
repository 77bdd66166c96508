"""Text dataset distillation."""
