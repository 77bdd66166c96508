"""Evaluation: metrics and displays that read fitted estimators."""
