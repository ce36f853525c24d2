"""What the coach reviews after training: session files, replay clips and the report.

``recorder`` writes them while the device works (off the frame loop's thread),
``sessionfile`` reads them back whatever a power cut left, ``report`` turns a
session into one HTML page.
"""
