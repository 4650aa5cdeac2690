"""Task resources: activities, callbacks with task tokens, service integrations."""
