"""The learning-rate range test (`tuitrain lr-find`): sweep, suggestion rules, drawing, record."""
