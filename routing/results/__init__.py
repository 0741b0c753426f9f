"""What a solve returns: the result object, its schemas and its lazily built frames."""
