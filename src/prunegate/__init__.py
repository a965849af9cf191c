"""prunegate: compress a trained PyTorch model into a smaller, faster ONNX artifact, gated on
measurements."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # lazy: `import prunegate` stays light; prunegate.compress pulls in torch and the chain
    if name in ("compress", "Result"):
        from prunegate.app import api

        return getattr(api, name)
    raise AttributeError(f"module 'prunegate' has no attribute {name!r}")


__all__ = ["Result", "__version__", "compress"]
