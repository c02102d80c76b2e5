"""Planning: the only code that imports both the models and ``routing``."""
