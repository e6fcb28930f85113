"""Credit-risk scoring service: FastAPI app, safe-to-load scikit-learn model, command line."""

from importlib.metadata import PackageNotFoundError, version

from ._meta import PACKAGE_NAME, PROJECT_NAME

try:
    __version__ = version(PROJECT_NAME)
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["PACKAGE_NAME", "PROJECT_NAME", "__version__"]
