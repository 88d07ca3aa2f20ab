"""Seed data: the default service taxonomy and the demo district (``flask seed-demo``)."""
from linkage.seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DISTRICT_CODE, existing_logins, seed_demo
from linkage.seed.taxonomy import SKILLS, TAXONOMY, install_taxonomy

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DISTRICT_CODE", "SKILLS", "TAXONOMY", "existing_logins",
           "install_taxonomy", "seed_demo"]
