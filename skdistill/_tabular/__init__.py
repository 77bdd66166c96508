"""Tabular estimators: the distiller, its classifier, the baseline samplers."""
