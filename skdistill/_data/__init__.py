"""Data: the distilled dataset, row sources and column encodings."""
