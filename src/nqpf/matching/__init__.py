"""Technical matching (技术匹配): rank solutions for an enterprise need, with reasons."""
