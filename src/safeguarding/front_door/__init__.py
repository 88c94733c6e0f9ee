"""The front door (MASH): contacts, screening, RAG deadlines, partner checks, threshold decisions, partner portal."""
