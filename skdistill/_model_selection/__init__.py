"""Hyperparameter search on a distilled set (DistilledSearchCV)."""
