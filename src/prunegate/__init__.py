"""prunegate: compress a trained PyTorch model into a smaller, faster ONNX artifact, gated on
measurements."""

__version__ = "0.1.0"
