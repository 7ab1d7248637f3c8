"""Answering: the refusal policy, weighing readings of a question, extractive and LLM answers, citations."""
