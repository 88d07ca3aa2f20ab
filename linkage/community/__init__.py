"""The community's desk: residents, their needs as staff handle them, and accounts to verify."""
