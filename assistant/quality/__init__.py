"""How well Mentor serves: scores on question sets, and the feedback users give."""
