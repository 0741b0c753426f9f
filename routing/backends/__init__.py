"""One module per external solver (HiGHS, OR-Tools, LEMON): the only modules that import them."""
