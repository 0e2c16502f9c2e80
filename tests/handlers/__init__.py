"""Tests of the command layer (handlers): access, limits and the commands themselves."""
