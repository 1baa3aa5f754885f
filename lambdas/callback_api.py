"""Deployed entry point of the callback Lambda (``Handler: callback_api.handler``), served by a function URL."""

from heaviside.functions.callback_api import handler

__all__ = ["handler"]
