"""Skills that need proof: certificates volunteers upload, social workers decide, training grants."""
