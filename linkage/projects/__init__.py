"""Government-purchased service projects and the bids social organizations make on them."""
