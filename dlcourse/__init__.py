"""dlcourse: an interactive deep-learning course and the small engine it teaches with."""

__version__ = "0.1.0"
