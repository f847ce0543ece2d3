#!/usr/bin/env python3
"""Build a tiny, randomly initialised Qwen3 model with the real Qwen3 tokenizer, fully offline.

Runs in the vLLM virtualenv (it needs torch). The tokenizer files are copied from
`../shared/data/tokenizer/qwen3`, so prompts and token counts are those of real Qwen3 models;
the weights are random, so the text it generates is noise — good for wire-format and load tests.

vLLM's CPU attention needs head_dim in {32, 64, 80, ...}: hidden 64 with 4 heads and an explicit
head_dim of 32 works (16 kills the server at the first request).

Usage: python make_tiny_qwen3.py TOKENIZER_DIR OUT_DIR [--layers 2] [--hidden 64] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tokenizer_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--head-dim", type=int, default=32)
    parser.add_argument("--intermediate", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.head_dim % 32:
        parser.error("--head-dim must be a multiple of 32 (vLLM CPU attention)")

    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        shutil.copyfile(args.tokenizer_dir / name, args.out_dir / name)
    tokenizer = AutoTokenizer.from_pretrained(args.out_dir)
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    vocab_size = (len(tokenizer) + 127) // 128 * 128  # padded, like real checkpoints

    config = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        head_dim=args.head_dim,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    torch.manual_seed(args.seed)
    model = Qwen3ForCausalLM(config).to(torch.float32)
    model.save_pretrained(args.out_dir, safe_serialization=True)
    generation = {"bos_token_id": pad_id, "eos_token_id": [eos_id, pad_id], "pad_token_id": pad_id}
    (args.out_dir / "generation_config.json").write_text(json.dumps(generation, indent=2))
    params = sum(p.numel() for p in model.parameters())
    print(f"tiny Qwen3 saved to {args.out_dir}: vocab {vocab_size}, {params:,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
