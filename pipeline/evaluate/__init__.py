"""Evaluation of the trained models: metrics, Table 1, figures, reports index (spec section 9)."""
