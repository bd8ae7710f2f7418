"""Accounts: users, roles, scopes in the grid hierarchy, tokens, login throttling."""
