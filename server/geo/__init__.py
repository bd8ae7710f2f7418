"""Geography: admin units from city to grid, their boundaries, and locating points."""
