"""The `haven` command line."""
