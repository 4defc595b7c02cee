"""Vietnamese NLU: Rasa training data, custom components, evaluation and the HTTP client."""
