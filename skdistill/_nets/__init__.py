"""Network families: the internal networks that distillation trains."""
