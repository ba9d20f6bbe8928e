"""Everything that wraps a model: video generators, LLM evolution operators, the prompt enhancer."""
