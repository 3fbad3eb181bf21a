"""The HTTP edge: the only package that imports connexion or starlette."""
