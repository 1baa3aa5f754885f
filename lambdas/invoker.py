"""Deployed entry point of the invoker Lambda (``Handler: invoker.handler``)."""

from heaviside.functions.invoker import handler

__all__ = ["handler"]
