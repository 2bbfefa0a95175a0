"""Migration scripts: 0001_core is the root; each feature branches from it (upgrade to heads)."""
