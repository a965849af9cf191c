"""ONNX I/O: export from PyTorch, graph helpers, and the sparse encoding of weights."""
