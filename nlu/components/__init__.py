"""Custom Rasa 3 graph components for Vietnamese (import the submodules; this file stays rasa-free)."""
