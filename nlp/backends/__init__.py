"""Model backends: `classical` (shipped, default) and `transformers` (optional extra)."""
