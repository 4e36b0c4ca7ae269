"""Edges of the pipeline: readers, the lake layout, Delta writes and the system tables."""
