"""prunegate: compress a trained PyTorch model into a smaller, faster ONNX artifact, gated on
measurements."""

from importlib.metadata import PackageNotFoundError, version

try:  # one source of truth: pyproject.toml's version, as installed
    __version__ = version("prunegate")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "unknown"


def __getattr__(name: str):
    # lazy: `import prunegate` stays light; prunegate.compress pulls in torch and the chain
    if name in ("compress", "Result"):
        from prunegate.app import api

        return getattr(api, name)
    raise AttributeError(f"module 'prunegate' has no attribute {name!r}")


__all__ = ["Result", "__version__", "compress"]
