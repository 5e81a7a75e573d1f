"""Photo posts, likes and comments."""
