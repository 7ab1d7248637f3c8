"""Benchmarks of Mentor against a textbook LangChain pipeline; results go to benchmarks/results."""
