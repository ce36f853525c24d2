"""The pure core: numpy in, numbers out, time passed in.

Nothing in this package touches hardware, files or the clock, so it runs (and is
tested) on any laptop.  Adapters and the loop import it; it imports none of them.
"""
