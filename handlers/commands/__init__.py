"""One module per group of chat commands; each registers its specs with the registry."""
