"""Sealing sensitive values, below the contexts that store them.

``crypto`` encrypts ID and phone numbers (and whole raw submissions) and
computes their keyed hashes; ``masking`` says which values are sealed, who may
see them in full and what everyone else sees; ``rekeying`` is the contract of
one step of a key rotation. The registry and submissions both seal, so both
import from here and neither imports the other for it.
"""
