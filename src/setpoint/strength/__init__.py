"""Strength progress: per-exercise data of strength sessions and personal records."""
