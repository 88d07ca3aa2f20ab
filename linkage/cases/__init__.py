"""Social workers' cases: intake to closure, supervision, referrals and transfers."""
