"""Clinical-text side of SzXAI: LLM, phrase embeddings, concept bank, note labels.

Modules
-------
llm          the one llama-cpp-python wrapper, with its on-disk completion cache
prompts      few-shot completion prompts (concept proposals, rewrite, findings)
embed        phrase embeddings (sentence-transformers or gensim word vectors)
terms        text clean-up: sections, sentences, abbreviations, negation scope
lexicon      the extractor's terminology dictionary (ACNS-style EEG terms)
concept_bank the ``concepts`` stage: seeds + LLM proposals -> exactly N concepts
labels       the ``labels`` stage: notes -> per-patient concept labels + evidence
quality      label quality against a ground truth (paper Fig 2b)
"""
