"""A local AWS on one HTTP endpoint: moto's services plus Lambda functions served by Python handlers.

``Emulator`` answers the Lambda Invoke API from registered handlers (synchronous, ``Event`` with
Lambda's async retries, ``DryRun``), forwards every other request to moto (S3, DynamoDB, SQS, ...)
and can deliver SQS queues to handlers like an event source mapping. Point any boto3 client at
``emulator.endpoint`` (or export ``emulator.environment()``).
"""

from heaviside.emulator.lambda_api import EmulatorStats, parse_function_name
from heaviside.emulator.queue_delivery import sqs_event
from heaviside.emulator.sandbox import Handler, LambdaContext
from heaviside.emulator.server import Emulator

__all__ = ["Emulator", "EmulatorStats", "Handler", "LambdaContext", "parse_function_name", "sqs_event"]
