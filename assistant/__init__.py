"""cpp-assistant: grounded answers to French criminal-procedure questions."""
