"""AWS adapters of the runtime: the only package of heaviside that imports boto3/botocore.

Import the submodules you need (``heaviside.backends.aws.definitions``,
``heaviside.backends.aws.payloads``); this package itself imports nothing, so importing it
loads no AWS SDK.
"""
