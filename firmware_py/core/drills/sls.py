"""The single-leg squat test (Ugalde et al. 2015, PM&R 7:229): hands on hips, about
half depth; a rep fails on the knee travelling inward, the hands leaving the hips,
trunk sway or lost balance.  Every cue reason is the test's."""

from __future__ import annotations

from ..vocabulary import CRITERIA, REASONS
from .base import Drill

SLS = Drill("sls", "rep", frozenset(REASONS), CRITERIA,
            "single-leg squat test: knee inward, hands off the hips, trunk sway, balance (per rep)")
