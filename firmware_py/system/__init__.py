"""Adapters to the operating system: systemd's notify socket, CPU throttling, OpenCV's
import, the JSON Lines event log and the terminal's lights (``kneecue demo``)."""
