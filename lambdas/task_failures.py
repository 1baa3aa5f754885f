"""Deployed entry point of the task-failure Lambda (``Handler: task_failures.handler``), the on-failure
destination of the task functions."""

from heaviside.functions.task_failures import handler

__all__ = ["handler"]
