"""People: children and adults, their names, identifiers, addresses and family relationships, and search."""
