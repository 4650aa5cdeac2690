"""The ASGI application: settings, CLI, the AWS gateway and the /_stepstack endpoints."""

__version__ = "0.1.0"
