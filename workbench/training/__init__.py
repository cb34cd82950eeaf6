"""Datasets, layer-stack model specs and the training loop that yields metrics. No Qt."""
