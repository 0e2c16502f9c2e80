"""Platform adapters: one thin module per chat platform behind the contract in base.py."""
