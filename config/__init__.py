"""Settings from the environment and the one place where adapters are wired."""
