"""multissl-speech: TERA and HuBERT pretraining on audio."""

__version__ = "0.1.0"
