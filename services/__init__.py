"""The emulators: one package per service plus what they share (core)."""
