"""Cases: follow-ups routed to a department, worked to resolved and closed."""
