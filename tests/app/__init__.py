"""The bot as a whole: command line, configuration (settings, the topic catalogue, the demo
feed), packaging and the import contract."""
