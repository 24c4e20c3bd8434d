"""multissl-sensor: ColloSSL across synchronised wearable devices."""

__version__ = "0.1.0"
