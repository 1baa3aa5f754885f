"""The Lambda functions heaviside deploys itself (the user's task functions use :mod:`heaviside.decorator`)."""
