"""Amazon EventBridge (service `events`)."""
