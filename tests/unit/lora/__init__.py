"""Unit tests of ruvllm_web.lora: MicroLoRA, ScopedLoRA and the operator numbering."""
