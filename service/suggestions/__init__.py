"""Suggestions for operators: the likeliest categories from the text, the area from the address."""
