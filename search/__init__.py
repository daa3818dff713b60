"""Search: embeddings, the FAISS and lexical indexes, ranking, facets and similar cases.

Everything here is derived from the store and can be rebuilt with `casebank index`.
"""
