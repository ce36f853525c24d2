"""A team: each device publishes what it records to an MQTT broker, for a coach's view
of many devices at once (docs/team.md).

``messages``: the topics and JSON payloads (schema version 1), from session-file
records; ``spool``: reads the session files in order, the publisher's only queue;
``position``: the last line the broker acknowledged, kept atomically on disk;
``link``: the paho-mqtt client, its TLS, credentials and a one-line reason when it
cannot connect; ``publisher``: the thread that moves lines from the spool to the link;
``control``: starts, swaps and stops that thread as the settings change.
Nothing here is imported when no broker is configured.
"""
