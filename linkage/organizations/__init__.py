"""Social organizations: registration, verification by civil affairs, credit status, social workers."""
