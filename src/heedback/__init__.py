"""Heedback: customer feedback that closes the loop."""

__version__ = "0.1.0"
