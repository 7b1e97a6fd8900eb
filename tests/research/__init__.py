"""Research tests; a package so that its test modules may share base names with tests/ (test_ranking)."""
