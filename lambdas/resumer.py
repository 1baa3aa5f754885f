"""Deployed entry point of the resumer Lambda (``Handler: resumer.handler``), fed by the wait queue."""

from heaviside.functions.resumer import handler

__all__ = ["handler"]
