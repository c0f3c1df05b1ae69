"""Indexing: corpus → numbered legal units → chunks → embeddings in Chroma."""
