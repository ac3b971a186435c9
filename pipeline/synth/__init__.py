"""Seeded synthetic TUSZ-layout corpus with a hidden ground truth (spec section 10)."""

from pipeline.synth.corpus import generate_corpus, write_truth

__all__ = ["generate_corpus", "write_truth"]
