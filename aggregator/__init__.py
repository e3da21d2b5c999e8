"""aggregator: follow a blogroll and publish it together with your own posts."""

__version__ = "0.1.0"
