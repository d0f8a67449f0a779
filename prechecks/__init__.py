"""Qt-free core: facts -> samples, report and the upload-ready bundle."""

__version__ = "0.1.0"
