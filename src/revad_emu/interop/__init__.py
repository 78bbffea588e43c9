"""Bridges from loaded functions to other frameworks: JAX, PyTorch, executors (Dask)."""
