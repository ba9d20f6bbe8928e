"""pav.models (folder models/): everything that wraps a model: video generators, LLM evolution operators,
the prompt enhancer."""
