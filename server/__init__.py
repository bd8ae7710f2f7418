"""gridreg: field collection and registry for grid-based public services."""
