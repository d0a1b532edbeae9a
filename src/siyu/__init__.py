"""siyu (私域): a customer data platform for a brand's private domain."""

__version__ = "0.1.0"
