"""A package whose import fails the way a CUDA torchvision wheel does beside CPU torch."""

raise RuntimeError("operator torchvision::nms does not exist")
