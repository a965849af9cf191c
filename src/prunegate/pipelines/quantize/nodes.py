"""Quantize: export to ONNX, then ONNX Runtime int8 where it measurably pays (quantize.mode
'qat' fine-tunes under fake int8 first)."""

from prunegate.compression.chain import export_checkpoint as export_model
from prunegate.compression.chain import quantize_distilled as quantize_model

__all__ = ["export_model", "quantize_model"]
