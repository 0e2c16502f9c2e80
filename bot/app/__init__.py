"""Wiring: settings in, a running bot out (services, platforms, scheduler, command line)."""
