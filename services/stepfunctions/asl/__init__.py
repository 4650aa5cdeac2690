"""Amazon States Language definitions: parse, validate, and the typed tree."""
