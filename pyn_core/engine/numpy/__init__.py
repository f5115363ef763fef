"""The numpy backend: the reference implementation of the step, vectorised (always available)."""
