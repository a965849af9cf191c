"""Fine-tune: recover accuracy after pruning; masks held, or advanced by the prune schedule
(iterative, gradual, dynamic); quantization-aware with quantize.mode 'qap'."""

from prunegate.compression.chain import finetune_pruned as finetune_model

__all__ = ["finetune_model"]
