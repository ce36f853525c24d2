"""Where a frame goes: the capture thread hands the newest frame over (``handoff``),
the ``pipeline`` turns it into a pose and a score, and the ``live`` loop turns the
score into a pattern on the pins and hands the result to the recorder, the event log,
the console's readings and systemd's watchdog."""
