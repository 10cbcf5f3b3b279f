"""Haven: moderation as a service for online support communities."""
