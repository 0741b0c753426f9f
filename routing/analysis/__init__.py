"""Analyses on top of solves: lead-time sampling and the Asia-vs-Mexico comparison."""
