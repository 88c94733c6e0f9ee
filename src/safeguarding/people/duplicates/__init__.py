"""Duplicates in the person index: the proposed pairs and their review, merging two records of one person with a
preview, and unmerging a merge found wrong (issue 17; ``shared/domain/linkage.md``)."""
