"""Data flow of the JSONPath query language: paths, payload templates, intrinsic functions."""
