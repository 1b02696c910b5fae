"""Kadence — key-account sales process control (量化致胜 · 大客户销售进程管控)."""
