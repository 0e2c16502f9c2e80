"""What a chat is shown: its unseen stories, filtered, grouped and capped into a digest."""
