"""Reads of the loyalty domain, one module per concern (program, ...)."""
