"""Feed intake: polling feeds on their schedules and storing each new story once."""
