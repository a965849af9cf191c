"""Distill: Hinton KD into the fine-tuned pruned model (taught by the dense baseline), or into a
smaller zoo student (taught by the pruned model); under fake int8 with quantize.mode 'qap'."""

from prunegate.compression.chain import distill_finetuned as distill_model

__all__ = ["distill_model"]
