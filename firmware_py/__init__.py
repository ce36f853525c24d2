"""KneeCue: real-time knee valgus biofeedback for a Raspberry Pi.

A training-feedback device, not a diagnostic one.
"""

__version__ = "0.1.0"
