"""The wizard's pages, one module each, in the order they appear."""
