"""Identity graphs and merged profiles."""
